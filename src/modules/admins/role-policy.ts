import { PermissionDeniedError } from '../../shared/errors';
import { roleRank, type Role } from '../../shared/permissions';

/** Who acts on an admin account: the authenticated principal of the request. */
export interface Caller {
  readonly adminId: string;
  readonly role: Role;
}

/**
 * Nobody hands out a role above their own, by invite or by change. Only super_admin holds
 * manage_admins today, so this never refuses; it keeps holding if the matrix ever changes.
 */
export function assertMayGrant(callerRole: Role, role: Role): void {
  if (roleRank(role) > roleRank(callerRole)) throw new PermissionDeniedError(`${callerRole} may not grant ${role}`);
}

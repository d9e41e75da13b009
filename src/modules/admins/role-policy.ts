import { PermissionDeniedError } from '../../shared/errors';
import { hasPermission, roleRank, ROLES, type Role } from '../../shared/permissions';

/** Who acts on an admin account: the authenticated principal of the request. */
export interface Caller {
  readonly adminId: string;
  readonly role: Role;
}

/**
 * The one rule of who may hand out a role, by invite or by change: an admin holding
 * manage_admins, for roles up to their own. Checked when an invite is made, again when it is
 * spent (against its issuer as the issuer is now), and when an issuer changes (what it may no
 * longer grant is revoked).
 */
export function mayGrant(grantorRole: Role, role: Role): boolean {
  return hasPermission(grantorRole, 'manage_admins') && roleRank(role) <= roleRank(grantorRole);
}

/** The roles a grantor may hand out under mayGrant; empty for roles without manage_admins. */
export const grantableBy = (grantorRole: Role): Role[] => ROLES.filter((role) => mayGrant(grantorRole, role));

export function assertMayGrant(callerRole: Role, role: Role): void {
  if (!mayGrant(callerRole, role)) throw new PermissionDeniedError(`${callerRole} may not grant ${role}`);
}

import type { Knex } from 'knex';
import { NotFoundError, StateConflictError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import type { Role } from '../../shared/permissions';
import type { AuditService } from '../audit/audit.service';
import type { SessionService } from '../auth/session.service';
import { toAdminView, type AdminRecord, type AdminRepository, type AdminView } from './admins.repository';
import type { InviteService } from './invites.service';
import { assertMayGrant, type Caller } from './role-policy';

export interface AdminUpdate {
  role?: Role;
  email?: string | null;
  telegram_id?: number | null;
  is_active?: boolean;
}

const isActiveSuperAdmin = (admin: AdminRecord): boolean => admin.role === 'super_admin' && admin.is_active;

/**
 * Admin accounts managed by other admins. Rules, checked under row locks in the transaction of
 * the change: the last active super_admin is never demoted, deactivated or deleted; nobody
 * deactivates or deletes their own account. Deactivation, deletion and "revoke sessions" end
 * every session of the target, so its very next request is refused. Deactivation, deletion and
 * demotion also revoke the target's pending invites it may no longer grant.
 */
export class AdminService {
  private readonly deps: {
    adminRepository: AdminRepository;
    sessionService: SessionService;
    auditService: AuditService;
    inviteService: InviteService;
  };

  constructor(deps: AdminService['deps']) {
    this.deps = deps;
  }

  async list(page: PageRequest): Promise<Page<AdminView>> {
    const found = await this.deps.adminRepository.list(page);
    return { ...found, items: found.items.map(toAdminView) };
  }

  async get(id: string): Promise<AdminView> {
    return toAdminView(await this.existing(this.deps.adminRepository.findById(id)));
  }

  async update(caller: Caller, id: string, changes: AdminUpdate): Promise<AdminView> {
    if (changes.role) assertMayGrant(caller.role, changes.role);
    const { adminRepository, auditService, sessionService } = this.deps;
    const mayRemoveSuperAdmin = (changes.role !== undefined && changes.role !== 'super_admin') || changes.is_active === false;

    const { before, after } = await adminRepository.transaction(async (trx) => {
      const target = await this.lockTarget(id, trx, mayRemoveSuperAdmin);
      assertMayGrant(caller.role, target.role);
      if (target.isLastSuperAdmin) throw new StateConflictError('last_super_admin');
      if (changes.is_active === false && target.id === caller.adminId) throw new StateConflictError('own_account');
      const updated = await this.existing(adminRepository.update(id, changes, trx));
      await auditService.record(
        { action: 'admin.updated', entityType: 'admin', entityId: id, oldValue: toAdminView(target), newValue: toAdminView(updated) },
        trx,
      );
      // Demoted or deactivated: its pending invites it may no longer grant die in the same change.
      if (updated.role !== target.role || updated.is_active !== target.is_active) {
        await this.deps.inviteService.revokeWhatIssuerMayNoLongerGrant(id, updated, caller.adminId, trx);
      }
      return { before: target, after: updated };
    });

    if (before.is_active && !after.is_active) await sessionService.endAll(id, 'deactivated');
    return toAdminView(after);
  }

  /** The target's refresh tokens go with it (ON DELETE CASCADE), so its sessions end with the row. */
  async delete(caller: Caller, id: string): Promise<void> {
    const { adminRepository, auditService } = this.deps;
    await adminRepository.transaction(async (trx) => {
      const target = await this.lockTarget(id, trx, true);
      assertMayGrant(caller.role, target.role);
      if (target.isLastSuperAdmin) throw new StateConflictError('last_super_admin');
      if (target.id === caller.adminId) throw new StateConflictError('own_account');
      // Before the row goes: its invites would outlive it with created_by set to NULL.
      await this.deps.inviteService.revokeWhatIssuerMayNoLongerGrant(id, null, caller.adminId, trx);
      await adminRepository.delete(id, trx);
      await auditService.record({ action: 'admin.deleted', entityType: 'admin', entityId: id, oldValue: toAdminView(target) }, trx);
    });
  }

  async revokeSessions(caller: Caller, id: string): Promise<void> {
    const target = await this.existing(this.deps.adminRepository.findById(id));
    assertMayGrant(caller.role, target.role);
    await this.deps.sessionService.endAll(id, 'revoked_by_admin');
  }

  /**
   * Locks the target row, and before it (always in that order, so concurrent changes cannot
   * deadlock) every active super_admin when the change could take one away. `isLastSuperAdmin`:
   * the target is the only active super_admin left, so such a change must be refused.
   */
  private async lockTarget(id: string, trx: Knex.Transaction, mayRemoveSuperAdmin: boolean): Promise<AdminRecord & { isLastSuperAdmin: boolean }> {
    const activeSuperAdmins = mayRemoveSuperAdmin ? await this.deps.adminRepository.countActiveSuperAdminsForUpdate(trx) : 0;
    const target = await this.existing(this.deps.adminRepository.findByIdForUpdate(id, trx));
    return { ...target, isLastSuperAdmin: mayRemoveSuperAdmin && isActiveSuperAdmin(target) && activeSuperAdmins <= 1 };
  }

  private async existing(lookup: Promise<AdminRecord | undefined>): Promise<AdminRecord> {
    const admin = await lookup;
    if (!admin) throw new NotFoundError('Admin');
    return admin;
  }
}

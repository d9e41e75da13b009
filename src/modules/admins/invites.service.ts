import type { Knex } from 'knex';
import { ConflictError, InvalidTokenError, NotFoundError, RequestValidationError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import { ROLES, type Role } from '../../shared/permissions';
import { randomToken, sha256Hex } from '../../shared/secrets';
import type { PasswordHasher } from '../../infrastructure/password-hasher';
import type { AuditService } from '../audit/audit.service';
import { toAdminView, type AdminRecord, type AdminRepository, type AdminView } from './admins.repository';
import { MAX_INVITE_ATTEMPTS, type InviteStatus, type RevocationReason } from './invite-policy';
import type { InviteRecord, InviteRepository } from './invites.repository';
import { assertMayGrant, grantableBy, mayGrant, type Caller } from './role-policy';

export interface InviteRequest {
  role: Role;
  email?: string | null;
  expires_in_hours: number;
}

export interface Registration {
  invite_token: string;
  login: string;
  email: string;
  password: string;
}

/** An invite as an admin sees it in the list: never its token or its hash. */
export interface InviteView {
  id: string;
  role: Role;
  email_hint: string | null;
  status: InviteStatus;
  issuer: { id: string; login: string } | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

const HOUR_MS = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether an invite's issuer, as it is now, could still make that invite. */
const issuerMayStillGrant = (issuer: AdminRecord | undefined, role: Role): boolean => Boolean(issuer?.is_active && mayGrant(issuer.role, role));

/** Refusals of a registration that tell the invitee something: each spends one attempt of the invite. */
const isTellingRefusal = (error: unknown): boolean => error instanceof ConflictError || error instanceof RequestValidationError;

/**
 * Registration by invite: an admin with manage_admins invites, the invitee registers once. An
 * invite is only as good as its issuer: registration refuses it unless the issuer still exists,
 * is active and may still grant its role; changes that end that revoke the issuer's invites.
 */
export class InviteService {
  private readonly deps: {
    inviteRepository: InviteRepository;
    adminRepository: AdminRepository;
    passwordHasher: PasswordHasher;
    auditService: AuditService;
  };

  constructor(deps: InviteService['deps']) {
    this.deps = deps;
  }

  /** The token is returned here once; only its hash is kept. */
  async invite(caller: Caller, request: InviteRequest): Promise<{ id: string; invite_token: string; expires_at: Date }> {
    assertMayGrant(caller.role, request.role);
    const { inviteRepository, adminRepository, auditService } = this.deps;
    const token = randomToken();
    const invite = await adminRepository.transaction(async (trx) => {
      const created = await inviteRepository.insert(
        {
          token_hash: sha256Hex(token),
          role: request.role,
          email: request.email ?? null,
          created_by: caller.adminId,
          expires_at: new Date(Date.now() + request.expires_in_hours * HOUR_MS),
        },
        trx,
      );
      await auditService.record(
        {
          action: 'admin_invite.created',
          entityType: 'admin_invite',
          entityId: created.id,
          newValue: { role: created.role, email: created.email, expires_at: created.expires_at },
        },
        trx,
      );
      return created;
    });
    return { id: invite.id, invite_token: token, expires_at: invite.expires_at };
  }

  async list(status: InviteStatus | 'all', page: PageRequest): Promise<Page<InviteView>> {
    const found = await this.deps.inviteRepository.list(status, page);
    return {
      ...found,
      items: found.items.map((invite) => ({
        id: invite.id,
        role: invite.role,
        email_hint: invite.email,
        status: invite.status,
        issuer: invite.created_by && invite.issuer_login ? { id: invite.created_by, login: invite.issuer_login } : null,
        created_at: invite.created_at,
        expires_at: invite.expires_at,
        used_at: invite.used_at,
        revoked_at: invite.revoked_at,
      })),
    };
  }

  /**
   * Revokes the invite named by its id or its raw token. An invite already used, revoked or
   * expired cannot register anyone either, so revoking it again answers the same, changing nothing.
   */
  async revoke(caller: Caller, idOrToken: string): Promise<void> {
    const { inviteRepository, adminRepository } = this.deps;
    const invite = await inviteRepository.findByIdOrTokenHash(UUID.test(idOrToken) ? idOrToken : null, sha256Hex(idOrToken));
    if (!invite) throw new NotFoundError('Invite');
    assertMayGrant(caller.role, invite.role);
    await adminRepository.transaction(async (trx) => {
      const revoked = await inviteRepository.revoke({ id: invite.id }, caller.adminId, trx);
      await this.auditRevocations(revoked, 'revoked_by_admin', trx);
    });
  }

  /**
   * Called in the transaction that changed, deactivated or deleted an admin (`now` null when
   * deleted): revokes that admin's pending invites it may no longer grant.
   */
  async revokeWhatIssuerMayNoLongerGrant(issuerId: string, now: Pick<AdminRecord, 'role' | 'is_active'> | null, revokedBy: string, trx: Knex.Transaction): Promise<void> {
    const reason: RevocationReason = now === null ? 'issuer_deleted' : now.is_active ? 'issuer_demoted' : 'issuer_deactivated';
    const stillGrantable = now?.is_active ? grantableBy(now.role) : [];
    const noLongerGrantable = ROLES.filter((role) => !stillGrantable.includes(role));
    if (noLongerGrantable.length === 0) return;
    const revoked = await this.deps.inviteRepository.revoke({ createdBy: issuerId, roles: noLongerGrantable }, revokedBy, trx);
    await this.auditRevocations(revoked, reason, trx);
  }

  /**
   * Spends the invite and creates the admin in one transaction. A refused registration (login or
   * email taken, another email than the invite's) leaves the invite usable, but each attempt is
   * reserved first and the invite is revoked when its last one fails, so it cannot probe accounts
   * without limit. Unknown, used, revoked, expired and orphaned invites are one answer.
   */
  async register(registration: Registration): Promise<AdminView> {
    const { inviteRepository, adminRepository, passwordHasher } = this.deps;
    const tokenHash = sha256Hex(registration.invite_token);
    // Cheap checks first, so a dead token costs no bcrypt work and no attempt.
    const pending = await inviteRepository.findPending(tokenHash);
    if (!pending || !issuerMayStillGrant(pending.created_by ? await adminRepository.findById(pending.created_by) : undefined, pending.role)) {
      throw new InvalidTokenError('invite unknown, used, revoked, expired or its issuer may no longer grant it');
    }
    const passwordHash = await passwordHasher.hash(registration.password);
    // Reserved after hashing, so a busy hash pool (503) costs the invitee no attempt.
    const reserved = await inviteRepository.reserveAttempt(tokenHash);
    if (!reserved) throw new InvalidTokenError('invite used, revoked or out of attempts meanwhile');

    try {
      return await adminRepository.transaction((trx) => this.spend(reserved, registration, passwordHash, trx));
    } catch (error) {
      if (isTellingRefusal(error) && reserved.attempts >= MAX_INVITE_ATTEMPTS) await this.revokeSpentAttempts(reserved.id);
      throw error;
    }
  }

  private async spend(reserved: InviteRecord, registration: Registration, passwordHash: string, trx: Knex.Transaction): Promise<AdminView> {
    const { inviteRepository, adminRepository, auditService } = this.deps;
    const invite = await inviteRepository.consume(reserved.id, trx);
    if (!invite) throw new InvalidTokenError('invite used or expired meanwhile');
    const issuer = invite.created_by ? await adminRepository.findById(invite.created_by, trx) : undefined;
    if (!issuerMayStillGrant(issuer, invite.role)) throw new InvalidTokenError('the issuer may no longer grant this invite');
    if (invite.email !== null && invite.email.toLowerCase() !== registration.email.toLowerCase()) {
      throw new RequestValidationError([{ loc: ['body', 'email'], msg: 'email must be the address the invite was issued to', type: 'invite.email' }]);
    }
    const admin = await adminRepository.create({ login: registration.login, email: registration.email, role: invite.role, password_hash: passwordHash }, trx);
    await inviteRepository.recordUser(invite.id, admin.id, trx);
    const view = toAdminView(admin);
    await auditService.record(
      { action: 'admin.registered', adminId: admin.id, entityType: 'admin', entityId: admin.id, newValue: { ...view, invite_id: invite.id } },
      trx,
    );
    return view;
  }

  private async revokeSpentAttempts(id: string): Promise<void> {
    await this.deps.adminRepository.transaction(async (trx) => {
      const revoked = await this.deps.inviteRepository.revoke({ id }, null, trx);
      await this.auditRevocations(revoked, 'too_many_attempts', trx);
    });
  }

  private async auditRevocations(revoked: InviteRecord[], reason: RevocationReason, trx: Knex): Promise<void> {
    for (const invite of revoked) {
      await this.deps.auditService.record(
        {
          action: 'admin_invite.revoked',
          entityType: 'admin_invite',
          entityId: invite.id,
          oldValue: { role: invite.role, email: invite.email, created_by: invite.created_by, expires_at: invite.expires_at },
          newValue: { reason, revoked_at: invite.revoked_at },
        },
        trx,
      );
    }
  }
}

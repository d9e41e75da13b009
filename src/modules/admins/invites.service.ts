import { InvalidTokenError, RequestValidationError } from '../../shared/errors';
import type { Role } from '../../shared/permissions';
import { randomToken, sha256Hex } from '../../shared/secrets';
import type { PasswordHasher } from '../../infrastructure/password-hasher';
import type { AuditService } from '../audit/audit.service';
import { toAdminView, type AdminRepository, type AdminView } from './admins.repository';
import type { InviteRepository } from './invites.repository';
import { assertMayGrant, type Caller } from './role-policy';

export interface InviteRequest {
  role: Role;
  email?: string;
  expires_in_hours: number;
}

export interface Registration {
  invite_token: string;
  login: string;
  email: string;
  password: string;
}

const HOUR_MS = 3_600_000;

/** Registration by invite: an admin with manage_admins invites, the invitee registers once. */
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
  async invite(caller: Caller, request: InviteRequest): Promise<{ invite_token: string; expires_at: Date }> {
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
    return { invite_token: token, expires_at: invite.expires_at };
  }

  /**
   * Spends the invite and creates the admin in one transaction: a refused registration (duplicate
   * login, wrong email) leaves the invite usable. Unknown, used and expired invites are one answer.
   */
  async register(registration: Registration): Promise<AdminView> {
    const { inviteRepository, adminRepository, passwordHasher, auditService } = this.deps;
    const tokenHash = sha256Hex(registration.invite_token);
    // Cheap check first, so a dead token costs no bcrypt work.
    if (!(await inviteRepository.isUsable(tokenHash))) throw new InvalidTokenError('invite unknown, used or expired');
    const passwordHash = await passwordHasher.hash(registration.password);

    return adminRepository.transaction(async (trx) => {
      const invite = await inviteRepository.consume(tokenHash, trx);
      if (!invite) throw new InvalidTokenError('invite used or expired meanwhile');
      if (invite.email !== null && invite.email.toLowerCase() !== registration.email.toLowerCase()) {
        throw new RequestValidationError([{ loc: ['body', 'email'], msg: 'email must be the address the invite was issued to', type: 'invite.email' }]);
      }
      const admin = await adminRepository.create(
        { login: registration.login, email: registration.email, role: invite.role, password_hash: passwordHash },
        trx,
      );
      await inviteRepository.recordUser(invite.id, admin.id, trx);
      const view = toAdminView(admin);
      await auditService.record(
        { action: 'admin.registered', adminId: admin.id, entityType: 'admin', entityId: admin.id, newValue: { ...view, invite_id: invite.id } },
        trx,
      );
      return view;
    });
  }
}

import type { Redis } from 'ioredis';
import type { Config } from '../../config';
import { InvalidCredentialsError, InvalidTokenError, NotFoundError } from '../../shared/errors';
import { redisKey } from '../../infrastructure/redis/redis';
import type { PasswordHasher } from '../../infrastructure/password-hasher';
import type { RequestContext } from '../../shared/request-context';
import { toAdminView, type AdminRecord, type AdminRepository, type AdminView } from '../admins/admins.repository';
import type { AuditService } from '../audit/audit.service';
import type { TwoFactorService } from '../two-factor/two-factor.service';
import { accountSubject, loginFingerprint, loginSubject, type LoginThrottle } from './login-throttle';
import type { SessionService, TokenPair } from './session.service';
import type { TokenService } from './token.service';

export interface LoginRequest {
  login_or_email: string;
  password: string;
  totp_code?: string;
  remember_me?: boolean;
}

export type LoginResult = { kind: 'signed_in'; tokens: TokenPair } | { kind: 'second_factor_needed'; tfa_token: string; expires_in: number };

/** Signing in and out: credentials, the second factor, the per-account lock-out, sessions. */
export class AuthService {
  private readonly deps: {
    adminRepository: AdminRepository;
    passwordHasher: PasswordHasher;
    loginThrottle: LoginThrottle;
    sessionService: SessionService;
    tokenService: TokenService;
    twoFactorService: TwoFactorService;
    auditService: AuditService;
    requestContext: RequestContext;
    redis: Redis;
    config: Config;
  };

  constructor(deps: AuthService['deps']) {
    this.deps = deps;
  }

  async login(request: LoginRequest): Promise<LoginResult> {
    const { adminRepository, passwordHasher, loginThrottle, tokenService } = this.deps;
    const login = request.login_or_email;
    await loginThrottle.assertNotLocked(loginSubject(login));

    const admin = await adminRepository.findByLoginOrEmail(login);
    // Every path spends one bcrypt verification, so timing does not tell which check failed.
    const passwordOk = admin ? await passwordHasher.verify(request.password, admin.password_hash) : await passwordHasher.verifyAgainstDummy(request.password);
    if (!admin || !passwordOk || !admin.is_active) {
      return this.refuse(login, admin?.id ?? null, !admin ? 'unknown_login' : !passwordOk ? 'wrong_password' : 'inactive');
    }
    await this.upgradeHashIfDated(admin, request.password);

    if (admin.totp_enabled) {
      if (!request.totp_code) {
        const { token, expiresIn } = tokenService.issueTwoFactorToken(admin.id, request.remember_me ?? false);
        return { kind: 'second_factor_needed', tfa_token: token, expires_in: expiresIn };
      }
      await loginThrottle.assertNotLocked(accountSubject(admin.id));
      if (!(await this.deps.twoFactorService.verifyLoginCode(admin, request.totp_code))) {
        return this.refuse(login, admin.id, 'wrong_second_factor');
      }
    }
    return { kind: 'signed_in', tokens: await this.signIn(admin, login, request.remember_me ?? false) };
  }

  /**
   * Second step of a 2FA login: the tfa token from step one plus a code. The token is claimed
   * before the code is checked, so a replayed token never spends a backup code; a wrong code
   * hands the claim back for the next try.
   */
  async completeTwoFactor(tfaToken: string, code: string): Promise<TokenPair> {
    const { tokenService, adminRepository, loginThrottle, redis, config } = this.deps;
    const claims = tokenService.verifyTwoFactorToken(tfaToken);
    const admin = await adminRepository.findById(claims.adminId);
    if (!admin || !admin.is_active) throw new InvalidTokenError('tfa token of an unusable account');
    await this.deps.sessionService.assertNotRevokedSince(admin.id, claims.issuedAtMs);
    await loginThrottle.assertNotLocked(accountSubject(admin.id));
    const claimKey = redisKey(config, 'tfa-spent', claims.tokenId);
    const ttl = Math.max(1, claims.expiresAt - Math.floor(Date.now() / 1000));
    if ((await redis.set(claimKey, '1', 'EX', ttl, 'NX')) !== 'OK') throw new InvalidTokenError('tfa token already used');
    if (!(await this.deps.twoFactorService.verifyLoginCode(admin, code))) {
      await redis.del(claimKey);
      return this.refuse(admin.login, admin.id, 'wrong_second_factor');
    }
    return this.signIn(admin, admin.login, claims.rememberMe);
  }

  /**
   * Sign-in through an outside account (OAuth) a provider has just vouched for: no password, then
   * the same rules as login (inactive refused, second factor when on, session, audit). `adminId`
   * is null when the account is linked to no admin. `method` names the provider in the audit log.
   */
  async loginWithLinkedAccount(adminId: string | null, method: string): Promise<LoginResult> {
    const { adminRepository, tokenService, auditService } = this.deps;
    const admin = adminId ? await adminRepository.findById(adminId) : undefined;
    if (!admin || !admin.is_active) {
      const reason = admin ? 'inactive' : 'unlinked_account';
      await auditService.record({
        action: 'auth.login_failed',
        adminId: admin?.id ?? null,
        entityType: 'admin',
        entityId: admin?.id,
        newValue: { reason, method },
      });
      throw new InvalidCredentialsError(reason);
    }
    if (admin.totp_enabled) {
      const { token, expiresIn } = tokenService.issueTwoFactorToken(admin.id, false);
      return { kind: 'second_factor_needed', tfa_token: token, expires_in: expiresIn };
    }
    return { kind: 'signed_in', tokens: await this.signIn(admin, admin.login, false, method) };
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    const { adminId, tokens } = await this.deps.sessionService.rotate(refreshToken);
    const admin = await this.deps.adminRepository.findById(adminId);
    if (!admin?.is_active) {
      await this.deps.sessionService.endAll(adminId, 'inactive_account');
      throw new InvalidTokenError('refresh for an inactive account');
    }
    return tokens;
  }

  async me(adminId: string): Promise<AdminView> {
    const admin = await this.deps.adminRepository.findById(adminId);
    if (!admin) throw new NotFoundError('Admin');
    return toAdminView(admin);
  }

  /** The current password is a secret check like a login's: wrong guesses count toward the account's lock-out. */
  async changePassword(adminId: string, sessionId: string, currentPassword: string, newPassword: string): Promise<void> {
    const { adminRepository, passwordHasher, sessionService, auditService, loginThrottle } = this.deps;
    await loginThrottle.assertNotLocked(accountSubject(adminId));
    const admin = await adminRepository.findById(adminId);
    if (!admin || !(await passwordHasher.verify(currentPassword, admin.password_hash))) {
      await loginThrottle.recordFailure(accountSubject(adminId));
      await auditService.record({ action: 'admin.password_change_refused', entityType: 'admin', entityId: adminId });
      throw new InvalidCredentialsError('current password wrong');
    }
    await adminRepository.update(adminId, { password_hash: await passwordHasher.hash(newPassword) });
    await auditService.record({ action: 'admin.password_changed', entityType: 'admin', entityId: adminId });
    await sessionService.endAll(adminId, 'password_changed', sessionId);
  }

  private async signIn(admin: AdminRecord, submittedLogin: string, rememberMe: boolean, method?: string): Promise<TokenPair> {
    const { loginThrottle, adminRepository, sessionService, auditService, requestContext } = this.deps;
    await loginThrottle.reset(loginSubject(submittedLogin), accountSubject(admin.id));
    await adminRepository.recordLogin(admin.id, requestContext.ip);
    const tokens = await sessionService.start(admin.id, rememberMe);
    await auditService.record({
      action: 'auth.login_succeeded',
      adminId: admin.id,
      entityType: 'admin',
      entityId: admin.id,
      newValue: method ? { method } : undefined,
    });
    return tokens;
  }

  /**
   * Accounts whose hash was made at another cost (older settings) get a fresh one at the current
   * cost while the password is at hand, so every verification costs the same as the dummy one.
   */
  private async upgradeHashIfDated(admin: AdminRecord, password: string): Promise<void> {
    const { passwordHasher, adminRepository } = this.deps;
    if (!passwordHasher.isAtCurrentCost(admin.password_hash)) {
      await adminRepository.update(admin.id, { password_hash: await passwordHasher.hash(password) });
    }
  }

  private async refuse(submittedLogin: string, adminId: string | null, reason: string): Promise<never> {
    const subjects = reason === 'wrong_second_factor' && adminId ? [accountSubject(adminId)] : [];
    await this.deps.loginThrottle.recordFailure(loginSubject(submittedLogin), ...subjects);
    // The reason stays in the audit log; the client sees one answer for all of them. The login as
    // typed is not kept: people type passwords into login fields. Its hash still groups attempts.
    await this.deps.auditService.record({
      action: 'auth.login_failed',
      adminId,
      entityType: 'admin',
      entityId: adminId ?? undefined,
      newValue: adminId ? { reason } : { reason, login_sha256: loginFingerprint(submittedLogin) },
    });
    throw new InvalidCredentialsError(reason);
  }
}

import type { Config } from '../../config';
import { InvalidCredentialsError, InvalidTokenError, NotFoundError } from '../../shared/errors';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import type { PasswordHasher } from '../../infrastructure/password-hasher';
import type { RequestContext } from '../../shared/request-context';
import { toAdminView, type AdminRecord, type AdminRepository, type AdminView } from '../admins/admins.repository';
import type { AuditService } from '../audit/audit.service';
import type { TwoFactorService } from '../two-factor/two-factor.service';
import { accountSubject, verdict, type LoginThrottle } from './login-throttle';
import type { PasswordCostRepository } from './password-costs.repository';
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
    passwordCostRepository: PasswordCostRepository;
    sessionService: SessionService;
    tokenService: TokenService;
    twoFactorService: TwoFactorService;
    auditService: AuditService;
    requestContext: RequestContext;
    redis: RedisClient;
    config: Config;
  };

  constructor(deps: AuthService['deps']) {
    this.deps = deps;
  }

  /**
   * Password (and the code, when given with it) under the lock-out: the attempt is reserved on the
   * submitted string and, when it names an account, on the account too (login and email share one
   * budget), before bcrypt runs. A right password still waiting for its second factor is half a
   * proof: it hands the attempt back and clears nothing.
   */
  async login(request: LoginRequest): Promise<LoginResult> {
    const { adminRepository, passwordHasher, passwordCostRepository, loginThrottle, tokenService } = this.deps;
    const login = request.login_or_email;
    const [admin, highestStoredCost] = await Promise.all([adminRepository.findByLoginOrEmail(login), passwordCostRepository.highestStoredCost()]);
    const subjects = [loginThrottle.loginSubject(login), ...(admin ? [accountSubject(admin.id)] : [])];

    return loginThrottle.guard(subjects, async () => {
      // Every path spends one verification charged at the dearest stored cost (at least
      // BCRYPT_COST): an unknown login, a wrong password, a dated hash and an inactive account
      // then cost the same, so timing does not tell which check failed or which accounts exist.
      const charge = highestStoredCost ?? 0;
      const passwordOk = admin
        ? await passwordHasher.verify(request.password, admin.password_hash, charge)
        : await passwordHasher.verifyAgainstDummy(request.password, charge);
      if (!admin || !passwordOk || !admin.is_active) {
        return verdict.wrong(await this.refusal(login, admin?.id ?? null, !admin ? 'unknown_login' : !passwordOk ? 'wrong_password' : 'inactive'));
      }
      await this.upgradeHashIfDated(admin, request.password);

      if (admin.totp_enabled) {
        if (!request.totp_code) {
          const { token, expiresIn } = tokenService.issueTwoFactorToken(admin.id, request.remember_me ?? false);
          return verdict.partlyProven<LoginResult>({ kind: 'second_factor_needed', tfa_token: token, expires_in: expiresIn });
        }
        if (!(await this.deps.twoFactorService.verifyLoginCode(admin, request.totp_code))) {
          return verdict.wrong(await this.refusal(login, admin.id, 'wrong_second_factor'));
        }
      }
      return verdict.proven<LoginResult>({ kind: 'signed_in', tokens: await this.signIn(admin, request.remember_me ?? false) });
    });
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
    // The attempt is reserved before the token is claimed, so a 429 leaves the token usable.
    return loginThrottle.guard([accountSubject(admin.id), loginThrottle.loginSubject(admin.login)], async () => {
      const claimKey = redisKey(config, 'tfa-spent', claims.tokenId);
      const ttl = Math.max(1, claims.expiresAt - Math.floor(Date.now() / 1000));
      if ((await redis.set(claimKey, '1', 'EX', ttl, 'NX')) !== 'OK') return verdict.notChecked(new InvalidTokenError('tfa token already used'));
      if (!(await this.deps.twoFactorService.verifyLoginCode(admin, code))) {
        await redis.del(claimKey);
        return verdict.wrong(await this.refusal(admin.login, admin.id, 'wrong_second_factor'));
      }
      return verdict.proven(await this.signIn(admin, claims.rememberMe));
    });
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
    return { kind: 'signed_in', tokens: await this.signIn(admin, false, method) };
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
    const admin = await adminRepository.findById(adminId);
    await loginThrottle.guard([accountSubject(adminId)], async () => {
      if (!admin || !(await passwordHasher.verify(currentPassword, admin.password_hash))) {
        await auditService.record({ action: 'admin.password_change_refused', entityType: 'admin', entityId: adminId });
        return verdict.wrong(new InvalidCredentialsError('current password wrong'));
      }
      // With 2FA on, the password alone is half of the proof a login asks for: it clears nothing.
      return admin.totp_enabled ? verdict.partlyProven(undefined) : verdict.proven(undefined);
    });
    await adminRepository.update(adminId, { password_hash: await passwordHasher.hash(newPassword) });
    await auditService.record({ action: 'admin.password_changed', entityType: 'admin', entityId: adminId });
    await sessionService.endAll(adminId, 'password_changed', sessionId);
  }

  private async signIn(admin: AdminRecord, rememberMe: boolean, method?: string): Promise<TokenPair> {
    const { adminRepository, sessionService, auditService, requestContext } = this.deps;
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

  /** Audits a refused sign-in; the caller's verdict throws what this answers (one 401 for every reason). */
  private async refusal(submittedLogin: string, adminId: string | null, reason: string): Promise<InvalidCredentialsError> {
    // The reason stays in the audit log; the client sees one answer for all of them. The login as
    // typed is not kept: people type passwords into login fields. Its keyed fingerprint still
    // groups attempts at one string, and cannot be reversed with a dictionary without the key.
    await this.deps.auditService.record({
      action: 'auth.login_failed',
      adminId,
      entityType: 'admin',
      entityId: adminId ?? undefined,
      newValue: adminId ? { reason } : { reason, login_fingerprint: this.deps.loginThrottle.fingerprint(submittedLogin) },
    });
    return new InvalidCredentialsError(reason);
  }
}

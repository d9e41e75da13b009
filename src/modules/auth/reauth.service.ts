import type { PasswordHasher } from '../../infrastructure/password-hasher';
import { InvalidCredentialsError, NotFoundError } from '../../shared/errors';
import type { AdminRepository } from '../admins/admins.repository';
import type { AuditService } from '../audit/audit.service';
import type { TwoFactorService } from '../two-factor/two-factor.service';
import { accountSubject, verdict, type LoginThrottle } from './login-throttle';
import type { ReauthMarks } from './reauth-marks';

/**
 * POST /2fa/reauth: the owner proves it is still them (the password, and a second-factor code
 * when 2FA is on) and the current session is marked for a few minutes, so a stolen access token
 * alone cannot reach the sensitive steps (2FA setup and disable, OAuth link and unlink).
 *
 * Wrong or missing proof counts against the account's lock-out like change-password, and every
 * refusal looks the same (401 "Invalid credentials"): the answer never tells a thief holding the
 * session whether the password alone was right.
 */
export class ReauthService {
  private readonly deps: {
    adminRepository: AdminRepository;
    passwordHasher: PasswordHasher;
    loginThrottle: LoginThrottle;
    twoFactorService: TwoFactorService;
    reauthMarks: ReauthMarks;
    auditService: AuditService;
  };

  constructor(deps: ReauthService['deps']) {
    this.deps = deps;
  }

  async reauthenticate(adminId: string, sessionId: string, password: string, code: string | undefined): Promise<void> {
    const { adminRepository, passwordHasher, loginThrottle, twoFactorService, reauthMarks, auditService } = this.deps;
    const admin = await adminRepository.findById(adminId);
    if (!admin) throw new NotFoundError('Admin');
    await loginThrottle.guard([accountSubject(adminId)], async () => {
      const passwordOk = await passwordHasher.verify(password, admin.password_hash);
      // The code is looked at only after a right password, so a wrong password never spends one.
      const refusal = !passwordOk
        ? 'wrong_password'
        : admin.totp_enabled && code === undefined
          ? 'second_factor_missing'
          : admin.totp_enabled && !(await twoFactorService.verifyLoginCode(admin, code as string))
            ? 'wrong_second_factor'
            : null;
      if (!refusal) return verdict.proven(undefined);
      // A right password without its code counts too: every refusal must look the same.
      await auditService.record({ action: 'auth.reauth_refused', entityType: 'session', entityId: sessionId, newValue: { reason: refusal } });
      return verdict.wrong(new InvalidCredentialsError(refusal));
    });
    await reauthMarks.mark(sessionId);
    await auditService.record({ action: 'auth.reauthenticated', entityType: 'session', entityId: sessionId });
  }
}

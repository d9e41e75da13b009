import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { PasswordHasher } from '../../infrastructure/password-hasher';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import { ConflictError, InvalidCredentialsError, NotFoundError } from '../../shared/errors';
import { decryptSecret, encryptSecret } from '../../shared/secrets';
import type { AdminRecord, AdminRepository } from '../admins/admins.repository';
import type { AuditService } from '../audit/audit.service';
import { accountSubject, verdict, type LoginThrottle } from '../auth/login-throttle';
import { newBackupCodes, spendBackupCode } from './backup-codes';
import { qrImageDataUrl } from './qr-image';
import type { Totp } from './totp';

/**
 * A secret from POST /2fa/setup waits here (encrypted, in Redis) until a code from it is verified;
 * only then does it become the admin's secret in admin_users. So admin_users.totp_secret_encrypted
 * always means "the active secret", and an abandoned setup simply expires.
 */
export const PENDING_SETUP_TTL_SECONDS = 600;

export interface TwoFactorStatus {
  enabled: boolean;
  status: 'enabled' | 'disabled';
  backup_codes_left: number;
}

/** Proof for turning 2FA off: the session's recent re-authentication, or the password and a code together. */
export type DisableProof = { kind: 'reauthenticated' } | { kind: 'password_and_code'; password: string; code: string };

/**
 * Second-factor checks and the 2FA life cycle (setup, enable, disable) of an admin.
 *
 * Every code and password checked here is a guarded attempt on the account (LoginThrottle.guard):
 * reserved before the check, so these routes cannot be used to guess the password or a code past
 * the login lock-out, not even by many requests at once. A right code or a password alone is
 * half of a login's proof on an account with 2FA: it hands the attempt back but clears nothing.
 * Every change and every refusal is audited, never with a secret, code or password.
 */
export class TwoFactorService {
  private readonly deps: {
    db: Knex;
    redis: RedisClient;
    totp: Totp;
    config: Config;
    adminRepository: AdminRepository;
    auditService: AuditService;
    passwordHasher: PasswordHasher;
    loginThrottle: LoginThrottle;
  };
  private readonly encryptionKey: Buffer;
  private readonly decryptionKeys: readonly Buffer[];

  constructor(deps: TwoFactorService['deps']) {
    this.deps = deps;
    this.encryptionKey = deps.config.dataEncryptionKey;
    this.decryptionKeys = deps.config.dataEncryptionKeys;
  }

  /**
   * A new secret, pending until verified; a second setup before that replaces the first. The
   * route needs the session's re-authentication mark, so that a stolen access token cannot put
   * the owner behind a second factor only the thief holds. `qr_uri` is the QR code of the
   * otpauth URI as a PNG data URL.
   */
  async setup(adminId: string): Promise<{ secret: string; otpauth_uri: string; qr_uri: string }> {
    const { totp, redis, auditService } = this.deps;
    const admin = await this.adminOf(adminId);
    if (admin.totp_enabled) throw new ConflictError('Two-factor');
    const secret = totp.newSecret();
    await redis.set(this.pendingKey(admin.id), encryptSecret(secret, this.encryptionKey), 'EX', PENDING_SETUP_TTL_SECONDS);
    await auditService.record({ action: 'two_factor.setup_started', entityType: 'admin', entityId: admin.id });
    const uri = totp.uri(secret, admin.login);
    return { secret, otpauth_uri: uri, qr_uri: await qrImageDataUrl(uri) };
  }

  /** A code of the pending secret turns 2FA on; answers the backup codes, shown this once. */
  async enable(adminId: string, code: string): Promise<{ backup_codes: string[] }> {
    const { db, redis, totp, auditService, loginThrottle } = this.deps;
    const admin = await this.adminOf(adminId);
    if (admin.totp_enabled) throw new ConflictError('Two-factor');
    const sealed = await redis.get(this.pendingKey(admin.id));
    if (!sealed) throw new NotFoundError('Two-factor setup');
    await loginThrottle.guard([accountSubject(admin.id)], async () =>
      (await totp.accept(admin.id, decryptSecret(sealed, this.decryptionKeys), code.trim()))
        ? verdict.partlyProven(undefined)
        : verdict.wrong(await this.refusal(admin, 'two_factor.enable_failed')),
    );

    const { codes, hashes } = newBackupCodes();
    const enabled = await db.transaction(async (trx) => {
      // Only if still off: of two concurrent verifications, one enables and the other conflicts.
      const updated = await trx('admin_users')
        .where({ id: admin.id, totp_enabled: false })
        .update({ totp_secret_encrypted: sealed, totp_enabled: true, backup_code_hashes: hashes });
      if (updated === 0) return false;
      await auditService.record({ action: 'two_factor.enabled', entityType: 'admin', entityId: admin.id }, trx);
      return true;
    });
    if (!enabled) throw new ConflictError('Two-factor');
    await redis.del(this.pendingKey(admin.id));
    return { backup_codes: codes };
  }

  /** Checks (and spends) a TOTP code of the caller: for confirming a sensitive step. */
  async validate(adminId: string, code: string): Promise<{ valid: boolean }> {
    const { totp, auditService, loginThrottle } = this.deps;
    const admin = await this.adminOf(adminId);
    if (!admin.totp_enabled || !admin.totp_secret_encrypted) throw new NotFoundError('Two-factor');
    const secret = decryptSecret(admin.totp_secret_encrypted, this.decryptionKeys);
    const valid = await loginThrottle.guard([accountSubject(admin.id)], async () =>
      (await totp.accept(admin.id, secret, code.trim())) ? verdict.partlyProven(true) : verdict.wrongAnswer(false),
    );
    await auditService.record({ action: 'two_factor.validated', entityType: 'admin', entityId: admin.id, newValue: { valid } });
    return { valid };
  }

  /**
   * Turns 2FA off. The proof is the session's re-authentication mark (checked by the route), or
   * else the password and a current code (TOTP or backup) together: a code alone could come from
   * a stolen phone, a password alone from a stolen notebook.
   */
  async disable(adminId: string, proof: DisableProof): Promise<void> {
    const { db, redis, passwordHasher, auditService, loginThrottle } = this.deps;
    const admin = await this.adminOf(adminId);
    if (!admin.totp_enabled) throw new NotFoundError('Two-factor');
    if (proof.kind === 'password_and_code') {
      // Both halves together are the whole proof. The code is looked at only after a right
      // password, so a wrong password never spends one.
      await loginThrottle.guard([accountSubject(admin.id)], async () => {
        const proven = (await passwordHasher.verify(proof.password, admin.password_hash)) && (await this.verifyLoginCode(admin, proof.code));
        return proven ? verdict.proven(undefined) : verdict.wrong(await this.refusal(admin, 'two_factor.disable_failed', { method: proof.kind }));
      });
    }

    await db.transaction(async (trx) => {
      await trx('admin_users').where({ id: admin.id }).update({ totp_enabled: false, totp_secret_encrypted: null, backup_code_hashes: [] });
      await auditService.record({ action: 'two_factor.disabled', entityType: 'admin', entityId: admin.id, newValue: { method: proof.kind } }, trx);
    });
    await redis.del(this.pendingKey(admin.id));
  }

  async status(adminId: string): Promise<TwoFactorStatus> {
    const admin = await this.adminOf(adminId);
    return {
      enabled: admin.totp_enabled,
      status: admin.totp_enabled ? 'enabled' : 'disabled',
      backup_codes_left: admin.totp_enabled ? admin.backup_code_hashes.length : 0,
    };
  }

  /** A login's second factor: a fresh TOTP code, or an unused backup code (which is then spent). */
  async verifyLoginCode(admin: AdminRecord, code: string): Promise<boolean> {
    if (!admin.totp_enabled || !admin.totp_secret_encrypted) return false;
    const secret = decryptSecret(admin.totp_secret_encrypted, this.decryptionKeys);
    if (await this.deps.totp.accept(admin.id, secret, code.trim())) return true;
    if (!(await spendBackupCode(this.deps.db, admin.id, code))) return false;
    await this.deps.auditService.record({ action: 'two_factor.backup_code_used', adminId: admin.id, entityType: 'admin', entityId: admin.id });
    return true;
  }

  private async adminOf(adminId: string): Promise<AdminRecord> {
    const admin = await this.deps.adminRepository.findById(adminId);
    if (!admin) throw new NotFoundError('Admin');
    return admin;
  }

  /** Audits a refused check; the caller's verdict throws what this answers. */
  private async refusal(admin: AdminRecord, action: string, details?: Record<string, unknown>): Promise<InvalidCredentialsError> {
    await this.deps.auditService.record({ action, entityType: 'admin', entityId: admin.id, newValue: details });
    return new InvalidCredentialsError(action);
  }

  private pendingKey(adminId: string): string {
    return redisKey(this.deps.config, '2fa-pending', adminId);
  }
}

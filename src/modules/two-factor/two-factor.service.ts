import type { Knex } from 'knex';
import type { Config } from '../../config';
import { decryptSecret } from '../../shared/secrets';
import type { AdminRecord } from '../admins/admins.repository';
import { spendBackupCode } from './backup-codes';
import type { Totp } from './totp';

/** Second-factor checks and the 2FA life cycle (setup, enable, disable) of an admin. */
export class TwoFactorService {
  private readonly db: Knex;
  private readonly totp: Totp;
  private readonly encryptionKey: Buffer;

  constructor({ db, totp, config }: { db: Knex; totp: Totp; config: Config }) {
    this.db = db;
    this.totp = totp;
    this.encryptionKey = config.dataEncryptionKey;
  }

  /** A login's second factor: a fresh TOTP code, or an unused backup code (which is then spent). */
  async verifyLoginCode(admin: AdminRecord, code: string): Promise<boolean> {
    if (!admin.totp_enabled || !admin.totp_secret_encrypted) return false;
    const secret = decryptSecret(admin.totp_secret_encrypted, this.encryptionKey);
    if (await this.totp.accept(admin.id, secret, code.trim())) return true;
    return spendBackupCode(this.db, admin.id, code);
  }
}

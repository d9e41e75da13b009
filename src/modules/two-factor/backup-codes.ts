import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { sha256Hex } from '../../shared/secrets';

/**
 * One-time backup codes: 10 random codes of 10 base32 characters (50 bits each), shown once and
 * stored as SHA-256 hashes. Their entropy is high enough that a fast hash is safe (unlike
 * passwords), and a code is spent by an atomic array_remove, so two requests cannot both use it.
 */
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export const BACKUP_CODE_COUNT = 10;
const CODE_LENGTH = 10;

export function newBackupCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: BACKUP_CODE_COUNT }, () =>
    Array.from(randomBytes(CODE_LENGTH), (byte) => ALPHABET[byte % ALPHABET.length]).join(''),
  );
  return { codes, hashes: codes.map(hashBackupCode) };
}

/** Users may type codes in lower case or with a dash in the middle. */
export const normaliseBackupCode = (code: string): string => code.replace(/[\s-]/g, '').toUpperCase();
export const hashBackupCode = (code: string): string => sha256Hex(normaliseBackupCode(code));

export async function spendBackupCode(db: Knex, adminId: string, code: string): Promise<boolean> {
  const hash = hashBackupCode(code);
  const updated = await db('admin_users')
    .where({ id: adminId })
    .whereRaw('? = any(backup_code_hashes)', [hash])
    .update({ backup_code_hashes: db.raw('array_remove(backup_code_hashes, ?)', [hash]) });
  return updated > 0;
}

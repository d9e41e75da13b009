import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** Small cryptographic helpers shared by tokens, invites, 2FA and OAuth. */

/** An unguessable token for a client to hold (refresh tokens, invites): 256 bits, URL-safe. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** What we store instead of a bearer secret: finding a row by its hash needs no slow KDF. */
export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

/**
 * A key of its own for one purpose, derived from a master key (HKDF-SHA256, the purpose as `info`),
 * so one configured secret can serve several uses without one use's output helping against another.
 */
export const deriveKey = (master: Buffer, purpose: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `cybervpn:${purpose}`, 32));

/**
 * HMAC-SHA256 (hex) under a server-side key: a stable fingerprint of a value that may be a secret
 * (a password typed into the login field). Unlike a plain hash it cannot be reversed by trying a
 * dictionary without the key.
 */
export const keyedFingerprint = (key: Buffer, value: string): string => createHmac('sha256', key).update(value).digest('hex');

/** Constant-time equality of two strings of any length. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM for secrets at rest (TOTP secrets, OAuth tokens): `v1.<base64 iv|tag|ciphertext>`. */
export function encryptSecret(plaintext: string, key: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

/**
 * Opens a sealed secret with the first of `keys` whose GCM tag checks out: the current key first,
 * then the previous ones of a rotation (DATA_ENCRYPTION_PREVIOUS_KEYS), so nothing sealed before
 * the rotation becomes unreadable. A wrong key cannot pass the tag by chance.
 */
export function decryptSecret(sealed: string, keys: Buffer | readonly Buffer[]): string {
  if (!sealed.startsWith('v1.')) throw new Error('Unknown secret envelope');
  const raw = Buffer.from(sealed.slice(3), 'base64');
  let failure: unknown;
  for (const key of Buffer.isBuffer(keys) ? [keys] : keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      failure = error;
    }
  }
  throw new Error('No key opens this secret', { cause: failure });
}

/** Whether `sealed` is sealed with `key` (the current one): what resealing skips. */
export function isSealedWith(sealed: string, key: Buffer): boolean {
  try {
    decryptSecret(sealed, key);
    return true;
  } catch {
    return false;
  }
}

import { randomBytes } from 'node:crypto';

/**
 * `cvpn_<public id>_<secret>`: the prefix lets secret scanners and people recognise a CyberVPN
 * key; the public id (12 hex characters) names a key in lists and logs without its secret; the
 * secret is 256 random bits (base64url), so a plain SHA-256 of the whole key is a safe thing to
 * store and look up (nothing to guess, unlike a password: no slow KDF needed).
 */
export const API_KEY_PREFIX = 'cvpn_';
const PUBLIC_ID_BYTES = 6;
const SECRET_BYTES = 32;
const API_KEY_FORMAT = /^cvpn_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKeySecret {
  key: string;
  publicId: string;
}

export function generateApiKey(): NewApiKeySecret {
  const publicId = randomBytes(PUBLIC_ID_BYTES).toString('hex');
  return { key: `${API_KEY_PREFIX}${publicId}_${randomBytes(SECRET_BYTES).toString('base64url')}`, publicId };
}

/** Whether a bearer token is meant as an API key (then it is checked as one, never as a JWT). */
export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** Well-formed keys only: anything else cannot be a key we issued, so no lookup is spent on it. */
export const isWellFormedApiKey = (token: string): boolean => API_KEY_FORMAT.test(token);

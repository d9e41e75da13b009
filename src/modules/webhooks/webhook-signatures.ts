import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two webhook senders' signature schemes, both hex HMAC-SHA256 over the exact bytes received
 * (never a re-serialisation of the parsed body: whitespace and key order are part of what is signed).
 */
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Constant time over equal-length digests; a header that is not 64 hex digits is simply wrong. */
function matches(key: Buffer, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !HEX_SHA256.test(header)) return false;
  const expected = createHmac('sha256', key).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(header, 'hex'));
}

/** The key of the last token seen: a process has one app token, so each delivery need not hash it again. */
let cryptoPayKey: { token: string; key: Buffer } | undefined;

/** Crypto Pay: `crypto-pay-api-signature`, keyed by SHA-256(app token) as 32 raw bytes. */
export function isValidCryptoPaySignature(rawBody: Buffer, header: string | undefined, appToken: string): boolean {
  if (cryptoPayKey?.token !== appToken) cryptoPayKey = { token: appToken, key: createHash('sha256').update(appToken).digest() };
  return matches(cryptoPayKey.key, rawBody, header);
}

/** Remnawave: `X-Remnawave-Signature`, keyed by the webhook secret's UTF-8 bytes. */
export function isValidRemnawaveSignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  return matches(Buffer.from(secret, 'utf8'), rawBody, header);
}

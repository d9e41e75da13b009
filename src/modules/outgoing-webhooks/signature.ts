import { createHmac } from 'node:crypto';

/**
 * The signing scheme of outgoing webhooks, the one place it is defined (README documents it):
 *   X-CyberVPN-Timestamp: <unix seconds>
 *   X-CyberVPN-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * The timestamp is signed with the body, so a receiver that refuses old timestamps (say, more than
 * five minutes) also refuses a replayed delivery.
 */
export const SIGNATURE_HEADER = 'X-CyberVPN-Signature';
export const TIMESTAMP_HEADER = 'X-CyberVPN-Timestamp';

export function signDelivery(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

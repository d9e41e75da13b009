import { createHash, createHmac } from 'node:crypto';
import type supertest from 'supertest';
import type { WebhookLog } from '../../src/modules/webhooks/webhook-logs.repository';
import type { AppContainer } from '../../src/container';
import { testEnv } from './env';

/** Signs and posts webhooks exactly as their senders do: the header over the raw bytes sent. */
const env = testEnv();
export const cryptoPaySignature = (raw: string, token = String(env.CRYPTOBOT_TOKEN)): string =>
  createHmac('sha256', createHash('sha256').update(token).digest()).update(raw).digest('hex');
export const remnawaveSignature = (raw: string, secret = String(env.REMNAWAVE_WEBHOOK_SECRET)): string => createHmac('sha256', secret).update(raw).digest('hex');

export function postCryptoPay(http: ReturnType<typeof supertest>, raw: string, signature = cryptoPaySignature(raw)) {
  return http.post('/api/v1/webhooks/cryptobot').set('Content-Type', 'application/json').set('crypto-pay-api-signature', signature).send(raw);
}

export function postRemnawave(http: ReturnType<typeof supertest>, raw: string, signature = remnawaveSignature(raw)) {
  return http.post('/api/v1/webhooks/remnawave').set('Content-Type', 'application/json').set('X-Remnawave-Signature', signature).send(raw);
}

let sequence = 0;
/** A Remnawave `user.expired` event of a fresh user (a new timestamp each: a new event). */
export function userExpiredEvent(overrides: { telegramId?: number | null; username?: string; event?: string; meta?: unknown; expireAt?: string } = {}): string {
  sequence += 1;
  return JSON.stringify({
    scope: 'user',
    event: overrides.event ?? 'user.expired',
    timestamp: new Date(Date.UTC(2026, 10, 28, 12, 0, sequence)).toISOString(),
    data: { id: 1000 + sequence, uuid: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`, username: overrides.username ?? `user_${sequence}`, status: 'EXPIRED', telegramId: overrides.telegramId === undefined ? 5000 + sequence : overrides.telegramId, expireAt: overrides.expireAt ?? '2026-11-28T11:00:00.000Z' },
    ...(overrides.meta === undefined ? {} : { meta: overrides.meta }),
  });
}

export function nodeEvent(event: 'node.connection_lost' | 'node.connection_restored', name = 'node-de-1'): string {
  sequence += 1;
  return JSON.stringify({ scope: 'node', event, timestamp: new Date(Date.UTC(2026, 10, 28, 13, 0, sequence)).toISOString(), data: { uuid: `10000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`, name } });
}

export const webhookRows = (container: AppContainer): Promise<WebhookLog[]> => container.cradle.db<WebhookLog>('webhook_logs').orderBy('created_at');

/** Polls until `check` holds (no fixed sleeps: the machine is shared and slow at times). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await read();
  }
  return last;
}

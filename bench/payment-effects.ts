import type { Knex } from 'knex';
import type { FakeRemnawave } from '../test/fakes/remnawave';

/**
 * The payments of one run of the webhooks benchmark, and the count at its end: nothing lost
 * (every payment completed, every webhook row processed) and nothing applied twice (each user's
 * expiry moved by exactly the plan's days, one notification row and one panel update per payment).
 */
const DAY_MS = 86_400_000;

export interface SeededPayment {
  id: string;
  invoiceId: number;
  userId: number;
  expireAt: string;
}

/** N panel users (each with a Telegram id, so a notification is due) and one pending payment each. */
export async function seedPayments(db: Knex, panel: FakeRemnawave, plan: { id: string; days: number }, count: number, firstInvoiceId: number): Promise<SeededPayment[]> {
  const expireAt = new Date(Date.now() + 10 * DAY_MS).toISOString();
  const users = Array.from({ length: count }, (_, i) => panel.seedUser({ expireAt, telegramId: 700_000 + firstInvoiceId + i }));
  const rows = (await db('payments')
    .insert(
      users.map((user, i) => ({
        external_invoice_id: String(firstInvoiceId + i),
        user_id: String(user.id),
        plan_id: plan.id,
        amount: '4.99',
        asset: 'USDT',
        subscription_days: plan.days,
      })),
    )
    .returning(['id', 'external_invoice_id'])) as Array<{ id: string; external_invoice_id: string }>;
  const ids = new Map(rows.map((row) => [Number(row.external_invoice_id), row.id]));
  return users.map((user, i) => ({ id: ids.get(firstInvoiceId + i)!, invoiceId: firstInvoiceId + i, userId: user.id, expireAt }));
}

export const completedCount = async (db: Knex): Promise<number> =>
  Number(((await db('payments').where({ status: 'completed' }).count({ n: '*' }).first()) as { n: string }).n);

export const unprocessedCount = async (db: Knex): Promise<number> =>
  Number(((await db('webhook_logs').where({ is_valid: true }).whereNot({ status: 'processed' }).count({ n: '*' }).first()) as { n: string }).n);

export interface EffectCounts {
  /** Lost: payments not completed, valid webhook rows missing or not processed. */
  notCompleted: number;
  rowsMissing: number;
  rowsUnprocessed: number;
  /** Duplicated (or lost): users whose expiry moved by other than the plan's days. */
  wrongExpiry: number;
  /** Payments without exactly one notification row, and without exactly one panel expiry update. */
  notificationsOff: number;
  panelUpdatesOff: number;
  /** Job attempts beyond the first, over all rows (retries are allowed, effects twice are not). */
  retries: number;
}

export async function countEffects(db: Knex, panel: FakeRemnawave, payments: SeededPayment[], days: number): Promise<EffectCounts> {
  const byId = new Map(((await db('payments').select('id', 'status')) as Array<{ id: string; status: string }>).map((row) => [row.id, row.status]));
  const rows = (await db('webhook_logs').select('dedupe_key', 'status', 'attempts').where({ is_valid: true })) as Array<{ dedupe_key: string; status: string; attempts: number }>;
  const rowByInvoice = new Map(rows.map((row) => [row.dedupe_key, row]));
  const notifications = new Map(
    ((await db('notification_queue').select('dedupe_key').count({ n: '*' }).groupBy('dedupe_key')) as Array<{ dedupe_key: string; n: string }>).map((row) => [row.dedupe_key, Number(row.n)]),
  );
  const panelUpdates = new Map<number, number>();
  for (const request of panel.requests) {
    const id = (request.body as { id?: unknown } | undefined)?.id;
    if (request.method === 'PATCH' && request.path === '/api/users' && typeof id === 'number') panelUpdates.set(id, (panelUpdates.get(id) ?? 0) + 1);
  }
  const count = (bad: (payment: SeededPayment) => boolean) => payments.filter(bad).length;
  return {
    notCompleted: count((p) => byId.get(p.id) !== 'completed'),
    rowsMissing: count((p) => !rowByInvoice.has(String(p.invoiceId))),
    rowsUnprocessed: rows.filter((row) => row.status !== 'processed').length,
    wrongExpiry: count((p) => Date.parse(panel.user(p.userId)?.expireAt ?? '') - Date.parse(p.expireAt) !== days * DAY_MS),
    notificationsOff: count((p) => notifications.get(`payment-completed:${p.id}`) !== 1),
    panelUpdatesOff: count((p) => panelUpdates.get(p.userId) !== 1),
    retries: rows.reduce((sum, row) => sum + Math.max(0, row.attempts - 1), 0),
  };
}

export const lost = (counts: EffectCounts) => counts.notCompleted + counts.rowsMissing + counts.rowsUnprocessed;
export const duplicated = (counts: EffectCounts) => counts.wrongExpiry + counts.notificationsOff + counts.panelUpdatesOff;

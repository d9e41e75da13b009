import type { Knex } from 'knex';

/** A payment as the settlement sees it: what was sold, and how far its effect has got. */
export interface PaymentToSettle {
  id: string;
  provider: string;
  external_invoice_id: string | null;
  user_id: string;
  plan_id: string;
  amount: string;
  asset: string;
  status: string;
  subscription_days: number;
  /** The absolute expiry computed once; set means "the panel may already carry it". */
  new_expire_at: Date | null;
  paid_at: Date | null;
  subscription_applied_at: Date | null;
}

const COLUMNS = [
  'id',
  'provider',
  'external_invoice_id',
  'user_id',
  'plan_id',
  'amount',
  'asset',
  'status',
  'subscription_days',
  'new_expire_at',
  'paid_at',
  'subscription_applied_at',
] as const;

/** The queries of settlement; each takes the connection it must run on (the lock's transaction or not). */
export class PaymentSettlementRepository {
  findByInvoice(db: Knex, provider: string, invoiceId: string): Promise<PaymentToSettle | undefined> {
    return db('payments').select(COLUMNS).where({ provider, external_invoice_id: invoiceId }).first();
  }

  /** Gives a payment without a recorded invoice the invoice that names it; never overwrites one. */
  async claimInvoice(db: Knex, paymentId: string | null, provider: string, invoiceId: string): Promise<PaymentToSettle | undefined> {
    if (!paymentId) return undefined;
    const [claimed] = (await db('payments')
      .where({ id: paymentId, provider })
      .whereNull('external_invoice_id')
      .update({ external_invoice_id: invoiceId })
      .returning(COLUMNS)) as PaymentToSettle[];
    return claimed;
  }

  findById(db: Knex, id: string): Promise<PaymentToSettle | undefined> {
    return db('payments').select(COLUMNS).where({ id }).first();
  }

  /** Payments of a user whose expiry was computed but never confirmed: a worker died in between. */
  halfApplied(db: Knex, userId: string, except: string): Promise<PaymentToSettle[]> {
    return db('payments')
      .select(COLUMNS)
      .where({ user_id: userId })
      .whereNot({ id: except })
      .whereNotNull('new_expire_at')
      .whereNot({ status: 'completed' })
      .orderBy('new_expire_at');
  }

  /** Committed on its own, before the panel is called: a retry must find it. */
  async storeTarget(db: Knex, id: string, newExpireAt: Date, paidAt: Date | null): Promise<void> {
    await db('payments')
      .where({ id })
      .whereNull('new_expire_at')
      .update({ new_expire_at: newExpireAt, paid_at: db.raw('coalesce(paid_at, ?)', [paidAt ?? new Date()]) });
  }

  async markCompleted(trx: Knex, id: string, appliedAt: Date): Promise<void> {
    await trx('payments').where({ id }).update({ status: 'completed', subscription_applied_at: appliedAt });
  }

  async planName(db: Knex, planId: string): Promise<string> {
    const plan = (await db('subscription_plans').select('name').where({ id: planId }).first()) as { name: string } | undefined;
    return plan?.name ?? 'subscription';
  }

  /** Paid but not provisioned: `failed` with the safe reason; false when it was completed, or already recorded so. */
  async markUnprovisioned(trx: Knex, id: string, reason: string, paidAt: Date): Promise<boolean> {
    const changed = await trx('payments')
      .where({ id })
      .whereNot({ status: 'completed' })
      .whereRaw("coalesce(metadata->>'error', '') <> 'provisioning_failed'")
      .update({
        status: 'failed',
        paid_at: trx.raw('coalesce(paid_at, ?)', [paidAt]),
        metadata: trx.raw('metadata || ?::jsonb', [JSON.stringify({ error: 'provisioning_failed', reason })]),
      });
    return changed > 0;
  }
}

import type { Knex } from 'knex';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';

/** Payment rows: one per invoice attempt, written before the invoice so none exists without one. */
export const PAYMENT_STATUSES = ['pending', 'completed', 'failed', 'expired', 'cancelled'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Payment {
  id: string;
  provider: string;
  external_invoice_id: string | null;
  /** The Remnawave user id, as text (see the payments migration). */
  user_id: string;
  plan_id: string;
  /** NUMERIC(18,8) as a string, so nothing is lost to floating point. */
  amount: string;
  asset: string;
  status: PaymentStatus;
  subscription_days: number;
  paid_at: Date | null;
  subscription_applied_at: Date | null;
  payment_url: string | null;
  expires_at: Date | null;
  metadata: Record<string, unknown>;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewPayment {
  user_id: string;
  plan_id: string;
  amount: string;
  asset: string;
  subscription_days: number;
  created_by: string | null;
  metadata: Record<string, unknown>;
}

export interface PaymentFilters {
  user_id?: number;
  status?: PaymentStatus;
  from?: Date;
  to?: Date;
}

const TABLE = 'payments';
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
  'paid_at',
  'subscription_applied_at',
  'payment_url',
  'expires_at',
  'metadata',
  'created_by',
  'created_at',
  'updated_at',
] as const;

export class PaymentRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async createPending(payment: NewPayment): Promise<Payment> {
    const [created] = await this.db(TABLE)
      .insert({ ...payment, status: 'pending', metadata: JSON.stringify(payment.metadata) })
      .returning(COLUMNS);
    return created as Payment;
  }

  async recordInvoice(id: string, invoice: { external_invoice_id: string; payment_url: string; expires_at: Date }): Promise<Payment> {
    const [updated] = await this.db(TABLE).where({ id }).update(invoice).returning(COLUMNS);
    return updated as Payment;
  }

  /** `error` is one of our error codes, never the provider's text. */
  async markFailed(id: string, error: string): Promise<void> {
    await this.db(TABLE)
      .where({ id, status: 'pending' })
      .update({ status: 'failed', metadata: this.db.raw('metadata || ?::jsonb', [JSON.stringify({ error })]) });
  }

  async findById(id: string): Promise<Payment | undefined> {
    return (await this.db(TABLE).select(COLUMNS).where({ id }).first()) as Payment | undefined;
  }

  /** Newest first; `from` and `to` bound `created_at`, both inclusive. */
  async list(filters: PaymentFilters, page: PageRequest): Promise<Page<Payment>> {
    const query = this.db(TABLE).modify((q) => {
      if (filters.user_id !== undefined) q.where({ user_id: String(filters.user_id) });
      if (filters.status) q.where({ status: filters.status });
      if (filters.from) q.where('created_at', '>=', filters.from);
      if (filters.to) q.where('created_at', '<=', filters.to);
    });
    const [items, counted] = await Promise.all([
      query
        .clone()
        .select(COLUMNS)
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(page.page_size)
        .offset(offsetOf(page)),
      query.clone().count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items: items as Payment[], total: Number(counted[0]?.count ?? 0), ...page };
  }

  /** Pending payments with an invoice, made before `before`, oldest first: what reconciliation asks Crypto Pay about. */
  async pendingWithInvoice(before: Date, limit: number): Promise<Payment[]> {
    return (await this.db(TABLE)
      .select(COLUMNS)
      .where({ status: 'pending', provider: 'cryptobot' })
      .whereNotNull('external_invoice_id')
      .where('created_at', '<', before)
      .orderBy('created_at')
      .limit(limit)) as Payment[];
  }

  /** Only a payment still pending expires: one paid meanwhile stays as settlement left it. */
  async markExpired(id: string): Promise<boolean> {
    return (await this.db(TABLE).where({ id, status: 'pending' }).update({ status: 'expired' })) > 0;
  }

  /**
   * Pending rows that never got their invoice id (the process died during the invoice call) and
   * are older than any invoice could live: failed, with our reason. Should that invoice exist and be
   * paid after all, its webhook still finds the row by its payload.
   */
  async failUnrecorded(before: Date): Promise<string[]> {
    const rows = (await this.db(TABLE)
      .where({ status: 'pending' })
      .whereNull('external_invoice_id')
      .where('created_at', '<', before)
      .update({ status: 'failed', metadata: this.db.raw('metadata || ?::jsonb', [JSON.stringify({ error: 'invoice_not_recorded' })]) })
      .returning('id')) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }
}

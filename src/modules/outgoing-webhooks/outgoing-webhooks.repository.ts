import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';
import type { OutgoingEvent } from './outgoing-webhooks.schemas';

export interface OutgoingWebhook {
  id: string;
  url: string;
  events: OutgoingEvent[];
  description: string | null;
  is_active: boolean;
  consecutive_failures: number;
  disabled_reason: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface Delivery {
  id: string;
  endpoint_id: string;
  event: string;
  body: string;
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export type EndpointChanges = Partial<Pick<OutgoingWebhook, 'url' | 'events' | 'description' | 'is_active' | 'consecutive_failures' | 'disabled_reason'>> & {
  secret_encrypted?: string;
};

const ENDPOINTS = 'outgoing_webhooks';
const DELIVERIES = 'outgoing_webhook_deliveries';
const ENDPOINT_COLUMNS = ['id', 'url', 'events', 'description', 'is_active', 'consecutive_failures', 'disabled_reason', 'created_by', 'created_at', 'updated_at'];
const DELIVERY_LISTING = ['id', 'event', 'status', 'attempts', 'last_status_code', 'last_error', 'delivered_at', 'created_at'];

/** Endpoints and their deliveries. Secrets leave only through findSecret(). */
export class OutgoingWebhookRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(row: { url: string; events: string[]; description: string | null; secret_encrypted: string; created_by: string | null }, trx: Knex): Promise<OutgoingWebhook> {
    const [created] = (await trx(ENDPOINTS).insert(row).returning(ENDPOINT_COLUMNS)) as OutgoingWebhook[];
    return created!;
  }

  async list(page: PageRequest): Promise<Page<OutgoingWebhook>> {
    const [items, counted] = await Promise.all([
      this.db(ENDPOINTS).select(ENDPOINT_COLUMNS).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.page_size).offset(offsetOf(page)),
      this.db(ENDPOINTS).count<{ count: string }[]>({ count: '*' }),
    ]);
    return { items: items as OutgoingWebhook[], total: Number(counted[0]!.count), ...page };
  }

  find(id: string, trx: Knex = this.db): Promise<OutgoingWebhook | undefined> {
    return trx(ENDPOINTS).select(ENDPOINT_COLUMNS).where({ id }).first();
  }

  async findSecret(id: string): Promise<string | undefined> {
    const row = (await this.db(ENDPOINTS).select('secret_encrypted').where({ id }).first()) as { secret_encrypted: string } | undefined;
    return row?.secret_encrypted;
  }

  async update(id: string, changes: EndpointChanges, trx: Knex): Promise<OutgoingWebhook | undefined> {
    const [updated] = (await trx(ENDPOINTS).where({ id }).update(changes).returning(ENDPOINT_COLUMNS)) as OutgoingWebhook[];
    return updated;
  }

  async delete(id: string, trx: Knex): Promise<boolean> {
    return (await trx(ENDPOINTS).where({ id }).del()) > 0;
  }

  /** One pending delivery per active endpoint subscribed to `event`, all with the same body. */
  async insertDeliveries(trx: Knex, event: OutgoingEvent, body: (deliveryId: string) => string): Promise<string[]> {
    const endpoints = (await trx(ENDPOINTS).select('id').where({ is_active: true }).whereRaw('? = ANY(events)', [event])) as Array<{ id: string }>;
    if (endpoints.length === 0) return [];
    const rows = endpoints.map((endpoint) => {
      const id = randomUUID();
      return { id, endpoint_id: endpoint.id, event, body: body(id) };
    });
    await trx(DELIVERIES).insert(rows);
    return rows.map((row) => row.id);
  }

  async deliveries(endpointId: string, page: PageRequest): Promise<Page<Omit<Delivery, 'body' | 'endpoint_id'>>> {
    const scope = () => this.db(DELIVERIES).where({ endpoint_id: endpointId });
    const [items, counted] = await Promise.all([
      scope().select(DELIVERY_LISTING).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.page_size).offset(offsetOf(page)),
      scope().count<{ count: string }[]>({ count: '*' }),
    ]);
    return { items, total: Number(counted[0]!.count), ...page };
  }

  delivery(id: string): Promise<Delivery | undefined> {
    return this.db(DELIVERIES).select('*').where({ id }).first();
  }

  async recordAttempt(id: string, outcome: { status?: Delivery['status']; statusCode: number | null; error: string | null }): Promise<void> {
    await this.db(DELIVERIES)
      .where({ id })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        ...(outcome.status ? { status: outcome.status } : {}),
        ...(outcome.status === 'delivered' ? { delivered_at: this.db.fn.now() } : {}),
      });
  }

  async markStatus(id: string, status: Delivery['status']): Promise<void> {
    await this.db(DELIVERIES).where({ id }).update({ status });
  }

  async resetFailures(endpointId: string): Promise<void> {
    await this.db(ENDPOINTS).where({ id: endpointId }).where('consecutive_failures', '>', 0).update({ consecutive_failures: 0 });
  }

  /**
   * Counts one more delivery failed for good; the endpoint is disabled in the same statement when
   * that reaches `limit`, so two workers cannot both see "one short". Says whether it was this
   * failure that disabled it.
   */
  async countFailure(endpointId: string, limit: number, reason: string): Promise<boolean> {
    const rows = (await this.db(ENDPOINTS)
      .where({ id: endpointId })
      .update({
        consecutive_failures: this.db.raw('consecutive_failures + 1'),
        is_active: this.db.raw('CASE WHEN consecutive_failures + 1 >= ? THEN false ELSE is_active END', [limit]),
        disabled_reason: this.db.raw('CASE WHEN consecutive_failures + 1 >= ? AND is_active THEN ? ELSE disabled_reason END', [limit, reason]),
      })
      .returning(['is_active', 'consecutive_failures'])) as Array<{ is_active: boolean; consecutive_failures: number }>;
    return rows[0] !== undefined && !rows[0].is_active && rows[0].consecutive_failures === limit;
  }

  /** Pending deliveries whose job may be lost (Redis away when they were recorded). */
  async stalePending(olderThanMs: number, limit: number): Promise<string[]> {
    const rows = (await this.db(DELIVERIES)
      .select('id')
      .where({ status: 'pending' })
      .where('updated_at', '<', new Date(Date.now() - olderThanMs))
      .orderBy('created_at')
      .limit(limit)) as Array<{ id: string }>;
    return rows.map((row) => row.id);
  }
}

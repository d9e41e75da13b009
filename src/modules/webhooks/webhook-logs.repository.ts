import type { Knex } from 'knex';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';
import type { WebhookSource } from './webhook-events';

/** webhook_logs: every delivery received, signed or not, and where its processing stands. */
export const WEBHOOK_STATUSES = ['received', 'queued', 'processing', 'processed', 'failed', 'ignored'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export interface WebhookLog {
  id: string;
  source: WebhookSource;
  event_type: string | null;
  dedupe_key: string | null;
  payload: unknown;
  signature: string | null;
  is_valid: boolean;
  status: WebhookStatus;
  attempts: number;
  error_message: string | null;
  processed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewWebhookLog {
  source: WebhookSource;
  event_type: string | null;
  dedupe_key: string | null;
  payload: unknown;
  signature: string | null;
  is_valid: boolean;
  status: WebhookStatus;
  error_message?: string | null;
}

export interface WebhookLogFilters {
  source?: WebhookSource;
  status?: WebhookStatus;
}

const TABLE = 'webhook_logs';

/** PostgreSQL's jsonb refuses U+0000 in strings, which JSON itself allows: drop it rather than fail the insert. */
const toJsonb = (value: unknown): string => JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? item.replaceAll('\u0000', '') : item));
const LISTED_COLUMNS = ['id', 'source', 'event_type', 'dedupe_key', 'payload', 'is_valid', 'status', 'attempts', 'error_message', 'processed_at', 'created_at', 'updated_at'];

export class WebhookLogRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(row: NewWebhookLog): Promise<string> {
    const [inserted] = await this.db(TABLE).insert({ ...row, payload: toJsonb(row.payload) }).returning<{ id: string }[]>('id');
    return inserted!.id;
  }

  /**
   * Inserts a valid, deduplicated row; on a second delivery of the same event (the partial unique
   * index on (source, dedupe_key)) inserts nothing and returns the first row.
   */
  async insertOnce(row: NewWebhookLog & { dedupe_key: string }): Promise<{ inserted: boolean; log: Pick<WebhookLog, 'id' | 'status'> }> {
    const result = await this.db.raw<{ rows: { id: string; status: WebhookStatus }[] }>(
      `INSERT INTO ${TABLE} (source, event_type, dedupe_key, payload, signature, is_valid, status)
       VALUES (?, ?, ?, ?, ?, true, ?)
       ON CONFLICT (source, dedupe_key) WHERE dedupe_key IS NOT NULL AND is_valid DO NOTHING
       RETURNING id, status`,
      [row.source, row.event_type, row.dedupe_key, toJsonb(row.payload), row.signature, row.status],
    );
    const inserted = result.rows[0];
    if (inserted) return { inserted: true, log: inserted };
    const existing = await this.db<WebhookLog>(TABLE)
      .select('id', 'status')
      .where({ source: row.source, dedupe_key: row.dedupe_key, is_valid: true })
      .first();
    return { inserted: false, log: existing! };
  }

  async findById(id: string): Promise<WebhookLog | undefined> {
    return this.db<WebhookLog>(TABLE).where({ id }).first();
  }

  /** Moves a row on only from the states given, so a late writer never undoes a later state. */
  async transition(id: string, from: readonly WebhookStatus[], to: WebhookStatus, changes: Partial<Pick<WebhookLog, 'error_message' | 'processed_at'>> = {}): Promise<boolean> {
    const updated = await this.db(TABLE).where({ id }).whereIn('status', from).update({ status: to, ...changes });
    return updated > 0;
  }

  /** The worker takes the row: counted as one more attempt. */
  async startAttempt(id: string): Promise<WebhookLog | undefined> {
    const [row] = await this.db<WebhookLog>(TABLE)
      .where({ id, is_valid: true })
      .whereIn('status', ['received', 'queued', 'processing', 'failed'])
      .update({ status: 'processing', attempts: this.db.raw('attempts + 1') })
      .returning('*');
    return row as WebhookLog | undefined;
  }

  /**
   * Valid rows that should be in the queue and may not be: never queued (older than `minAgeMs`,
   * so an intake still adding its job is left alone), or queued/processing for that long.
   */
  async unfinished(minAgeMs: number, limit: number): Promise<Pick<WebhookLog, 'id' | 'source' | 'dedupe_key' | 'status'>[]> {
    return this.db<WebhookLog>(TABLE)
      .select('id', 'source', 'dedupe_key', 'status')
      .where({ is_valid: true })
      .whereIn('status', ['received', 'queued', 'processing'])
      .whereNotNull('dedupe_key')
      .where('updated_at', '<', this.db.raw("now() - (? * interval '1 millisecond')", [minAgeMs]))
      .orderBy('created_at')
      .limit(limit);
  }

  async list(filters: WebhookLogFilters, page: PageRequest): Promise<Page<WebhookLog>> {
    const query = this.db<WebhookLog>(TABLE).modify((q) => {
      if (filters.source) q.where('source', filters.source);
      if (filters.status) q.where('status', filters.status);
    });
    const [items, counted] = await Promise.all([
      query.clone().select(LISTED_COLUMNS).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.page_size).offset(offsetOf(page)),
      query.clone().count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items: items as WebhookLog[], total: Number(counted[0]?.count ?? 0), ...page };
  }
}

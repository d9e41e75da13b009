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

export type NewDedupedWebhookLog = NewWebhookLog & { dedupe_key: string };
export interface InsertOnceResult {
  inserted: boolean;
  log: Pick<WebhookLog, 'id' | 'status'>;
}
type DedupedRow = Pick<WebhookLog, 'id' | 'status' | 'source'> & { dedupe_key: string };
const eventKey = (row: { source: string; dedupe_key: string }): string => `${row.source}\u0000${row.dedupe_key}`;

export interface WebhookLogFilters {
  source?: WebhookSource;
  status?: WebhookStatus;
}

const TABLE = 'webhook_logs';

/** Every string and key of a JSON value without U+0000. */
const withoutNul = (value: unknown): unknown => {
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.replaceAll('\u0000', ''), withoutNul(item)]));
  return value;
};

/**
 * PostgreSQL's jsonb refuses U+0000 in strings and keys, which JSON itself allows: it is dropped
 * rather than fail the insert. JSON.stringify writes U+0000 as the escape `\u0000`, so only a text
 * containing that sequence (nearly never) pays for the walk.
 */
const toJsonb = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text.includes('\\u0000') ? JSON.stringify(withoutNul(value)) : text;
};

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
  async insertOnce(row: NewDedupedWebhookLog): Promise<InsertOnceResult> {
    const [result] = await this.insertManyOnce([row]);
    return result!;
  }

  /**
   * insertOnce for many rows in one statement (one commit): a result per row, in order. Of rows
   * of one event in the same call, the first is the one inserted; the others are repeats of it.
   */
  async insertManyOnce(rows: readonly NewDedupedWebhookLog[]): Promise<InsertOnceResult[]> {
    const firsts = new Map<string, NewDedupedWebhookLog>();
    for (const row of rows) if (!firsts.has(eventKey(row))) firsts.set(eventKey(row), row);
    const unique = [...firsts.values()];
    const result = await this.db.raw<{ rows: DedupedRow[] }>(
      `INSERT INTO ${TABLE} (source, event_type, dedupe_key, payload, signature, is_valid, status)
       VALUES ${unique.map(() => '(?, ?, ?, ?, ?, true, ?)').join(', ')}
       ON CONFLICT (source, dedupe_key) WHERE dedupe_key IS NOT NULL AND is_valid DO NOTHING
       RETURNING id, status, source, dedupe_key`,
      unique.flatMap((row) => [row.source, row.event_type, row.dedupe_key, toJsonb(row.payload), row.signature, row.status]),
    );
    const inserted = new Map(result.rows.map((row) => [eventKey(row), row]));
    const repeats = unique.filter((row) => !inserted.has(eventKey(row)));
    const existing = new Map<string, DedupedRow>();
    if (repeats.length > 0) {
      const found = await this.db<WebhookLog>(TABLE)
        .select('id', 'status', 'source', 'dedupe_key')
        .where({ is_valid: true })
        .whereIn(
          ['source', 'dedupe_key'],
          repeats.map((row) => [row.source, row.dedupe_key]),
        );
      for (const row of found as DedupedRow[]) existing.set(eventKey(row), row);
    }
    const claimed = new Set<string>();
    return rows.map((row) => {
      const key = eventKey(row);
      const mine = inserted.get(key);
      if (mine && !claimed.has(key)) {
        claimed.add(key);
        return { inserted: true, log: { id: mine.id, status: mine.status } };
      }
      const first = (mine ?? existing.get(key))!;
      return { inserted: false, log: { id: first.id, status: first.status } };
    });
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

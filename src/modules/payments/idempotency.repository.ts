import type { Knex } from 'knex';

/** The `Idempotency-Key`s of invoice requests (table payment_idempotency_keys). */
export interface IdempotencyRecord {
  id: string;
  caller: string;
  idempotency_key: string;
  request_fingerprint: string;
  payment_id: string | null;
  response_status: number | null;
  response_body: unknown;
  created_at: Date;
}

export interface StoredAnswer {
  status: number;
  body: unknown;
}

const TABLE = 'payment_idempotency_keys';

export class IdempotencyRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /** The new claim, or undefined when the caller already holds this key (the unique index decides, not a read). */
  async claim(caller: string, key: string, fingerprint: string): Promise<string | undefined> {
    const [row] = await this.db(TABLE)
      .insert({ caller, idempotency_key: key, request_fingerprint: fingerprint })
      .onConflict(['caller', 'idempotency_key'])
      .ignore()
      .returning<{ id: string }[]>('id');
    return row?.id;
  }

  async find(caller: string, key: string): Promise<IdempotencyRecord | undefined> {
    return (await this.db(TABLE).where({ caller, idempotency_key: key }).first()) as IdempotencyRecord | undefined;
  }

  async complete(id: string, paymentId: string, answer: StoredAnswer): Promise<void> {
    await this.db(TABLE)
      .where({ id })
      .update({ payment_id: paymentId, response_status: answer.status, response_body: JSON.stringify(answer.body) });
  }

  async release(id: string): Promise<void> {
    await this.db(TABLE).where({ id }).whereNull('response_status').delete();
  }

  /** Deletes up to `limit` keys made before `before`, answered or not; returns how many. */
  async pruneOlderThan(before: Date, limit: number): Promise<number> {
    return this.db(TABLE)
      .whereIn('id', this.db(TABLE).select('id').where('created_at', '<', before).orderBy('created_at').limit(limit))
      .delete();
  }

  /** Drops a claim still unanswered since before `claimedBefore`: its request died with its process. */
  async releaseAbandoned(id: string, claimedBefore: Date): Promise<boolean> {
    return (await this.db(TABLE).where({ id }).whereNull('response_status').where('created_at', '<', claimedBefore).delete()) > 0;
  }
}

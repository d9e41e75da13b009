import type { Knex } from 'knex';
import { NaturalBatches } from '../../shared/natural-batches';
import { WebhookLogRepository, type InsertOnceResult, type NewDedupedWebhookLog } from './webhook-logs.repository';

/** Rows per INSERT, and their bodies' bytes at most (a batch always takes one row, whatever its size). */
const MAX_ROWS = 100;
const MAX_BYTES = 1024 * 1024;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * The intake's write of a delivery, its row's INSERT, shared by all requests of the process (one
 * per process). One statement per delivery made the pool (DATABASE_POOL_MAX connections) spend a
 * round trip and a commit per webhook; concurrent deliveries now share one
 * (src/shared/natural-batches.ts), which still commits before any of its callers goes on, so a
 * row is committed before its job is added.
 *
 * One bad row (a body PostgreSQL refuses) must not fail the deliveries batched with it: when a
 * batch's INSERT fails, its rows are inserted one by one and only the failing one gets the error.
 */
export class WebhookIntakeBatches {
  private readonly inserts: NaturalBatches<{ row: NewDedupedWebhookLog; bytes: number }, Settled<InsertOnceResult>>;

  constructor({ db }: { db: Knex }) {
    const repository = new WebhookLogRepository({ db });
    this.inserts = new NaturalBatches({
      maxItems: MAX_ROWS,
      maxWeight: MAX_BYTES,
      weight: (item) => item.bytes,
      run: async (items) => {
        const rows = items.map((item) => item.row);
        try {
          return (await repository.insertManyOnce(rows)).map((value) => ({ ok: true, value }));
        } catch (error) {
          if (rows.length === 1) return [{ ok: false, error }];
          return Promise.all(
            rows.map((row) => repository.insertOnce(row).then<Settled<InsertOnceResult>, Settled<InsertOnceResult>>((value) => ({ ok: true, value }), (failure: unknown) => ({ ok: false, error: failure }))),
          );
        }
      },
    });
  }

  /** WebhookLogRepository.insertOnce, committed together with the other deliveries arriving meanwhile. */
  async insertOnce(row: NewDedupedWebhookLog, bytes: number): Promise<InsertOnceResult> {
    const settled = await this.inserts.submit({ row, bytes });
    if (!settled.ok) throw settled.error;
    return settled.value;
  }
}

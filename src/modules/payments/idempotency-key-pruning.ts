import type { Config } from '../../config';
import type { Logger } from '../../infrastructure/logger';
import type { Clock } from '../../shared/clock';
import type { IdempotencyRepository } from './idempotency.repository';

/** Keys deleted per statement, so one run never holds a long lock on the table. */
const BATCH = 1000;

/**
 * Every invoice request with an Idempotency-Key leaves a row; without this the table would only
 * grow. Keys older than IDEMPOTENCY_KEY_TTL are deleted by an hourly job of the webhook worker: a
 * retry arriving later than that is a new request (the invoice it first made has expired by then,
 * with the default TTLs: CRYPTOBOT_INVOICE_TTL 1h, IDEMPOTENCY_KEY_TTL 24h).
 */
export class IdempotencyKeyPruning {
  static readonly INTERVAL_MS = 3_600_000;

  private readonly repository: IdempotencyRepository;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ttlMs: number;

  constructor(deps: { idempotencyRepository: IdempotencyRepository; clock: Clock; logger: Logger; config: Config }) {
    this.repository = deps.idempotencyRepository;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.ttlMs = deps.config.idempotencyKeyTtlMs;
  }

  /** Returns how many keys it deleted. */
  async run(): Promise<number> {
    const before = new Date(this.clock.now() - this.ttlMs);
    let deleted = 0;
    for (;;) {
      const batch = await this.repository.pruneOlderThan(before, BATCH);
      deleted += batch;
      if (batch < BATCH) break;
    }
    if (deleted > 0) this.logger.info('idempotency keys pruned', { deleted });
    return deleted;
  }
}

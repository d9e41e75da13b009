import type { Config } from '../../config';
import type { Logger } from '../../infrastructure/logger';
import type { WebhookJobs } from './webhook-jobs';
import type { WebhookLogRepository } from './webhook-logs.repository';

/** Rows looked at per run; a backlog larger than this is worked through over the next runs. */
const BATCH = 500;

/**
 * The safety net of "nothing lost": valid rows committed but never queued (Redis was down at
 * intake), and rows queued or in processing whose job no longer exists (Redis lost its data, a
 * job stalled too often), are queued again. Runs as a repeatable job of the webhook worker.
 */
export class WebhookSweep {
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly webhookLogRepository: WebhookLogRepository;
  private readonly webhookJobs: WebhookJobs;

  constructor(deps: { config: Config; logger: Logger; webhookLogRepository: WebhookLogRepository; webhookJobs: WebhookJobs }) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.webhookLogRepository = deps.webhookLogRepository;
    this.webhookJobs = deps.webhookJobs;
  }

  /** Returns how many rows it queued again. */
  async run(): Promise<number> {
    const rows = await this.webhookLogRepository.unfinished(this.config.webhooks.sweepMinAgeMs, BATCH);
    let requeued = 0;
    for (const row of rows) {
      // A `received` row's job may exist all the same (an add that failed late): it becomes `queued`.
      if (!(await this.webhookJobs.requeueUnlessPending(row)) && row.status !== 'received') continue;
      await this.webhookLogRepository.transition(row.id, ['received'], 'queued');
      requeued += 1;
    }
    if (requeued > 0) this.logger.info('webhook sweep queued rows again', { requeued });
    return requeued;
  }
}

import type { Config } from '../../config';
import type { JobQueues } from '../../infrastructure/queues/job-queues';
import { jobId } from '../../infrastructure/queues/queue-names';
import { NaturalBatches } from '../../shared/natural-batches';
import type { WebhookLog } from './webhook-logs.repository';

/** The job of a webhook log row: named after its event, so every path that queues it adds the same job. */
export const PROCESS_WEBHOOK_JOB = 'process';
export type QueueableWebhook = Pick<WebhookLog, 'id' | 'source'> & { dedupe_key: string | null };
export interface ProcessWebhookData {
  webhookLogId: string;
}

export const webhookJobId = (log: QueueableWebhook): string => jobId(log.source, log.dedupe_key ?? log.id);

const MAX_JOBS_PER_ADD = 100;

/** Adds (and re-adds) webhook jobs with the configured retries; shared by intake, retry and sweep. */
export class WebhookJobs {
  private readonly config: Config;
  private readonly jobQueues: JobQueues;

  private readonly adds: NaturalBatches<QueueableWebhook, void>;

  constructor({ config, jobQueues }: { config: Config; jobQueues: JobQueues }) {
    this.config = config;
    this.jobQueues = jobQueues;
    this.adds = new NaturalBatches<QueueableWebhook, void>({
      maxItems: MAX_JOBS_PER_ADD,
      run: async (logs) => {
        await this.jobQueues.addBulk('webhooks', logs.map((log) => this.jobOf(log)));
        return logs.map(() => undefined);
      },
    });
  }

  private jobOf(log: QueueableWebhook) {
    const data: ProcessWebhookData = { webhookLogId: log.id };
    return {
      name: PROCESS_WEBHOOK_JOB,
      data: data as unknown as Record<string, unknown>,
      options: { jobId: webhookJobId(log), attempts: this.config.webhooks.jobAttempts, backoff: { type: 'exponential' as const, delay: this.config.webhooks.jobBackoffMs } },
    };
  }

  /**
   * A no-op while a job under the same id exists (waiting, delayed, active or kept as finished).
   * Concurrent callers share one Redis round trip (natural batching, as the intake's INSERT does):
   * each still resolves only once its own job is added.
   */
  enqueue(log: QueueableWebhook): Promise<void> {
    return this.adds.submit(log);
  }

  /**
   * Queues the row again unless its job is still to run or running (then it stays as it is); a
   * finished job kept under its id (a failed one is kept for a week) is removed first, else adding
   * the id again would be a no-op. True when a job was added.
   */
  async requeueUnlessPending(log: QueueableWebhook): Promise<boolean> {
    if (!(await this.jobQueues.freeJobId('webhooks', webhookJobId(log)))) return false;
    await this.enqueue(log);
    return true;
  }
}

import type { JobQueues } from '../../infrastructure/queues/job-queues';
import { jobId } from '../../infrastructure/queues/queue-names';
import type { Logger } from '../../infrastructure/logger';

export const DELIVER_JOB = 'deliver';
/** Jobs per Redis round trip when many rows are dispatched at once (a broadcast). */
const MAX_JOBS_PER_ADD = 500;
export const notificationJobId = (notificationId: string): string => jobId('notification', notificationId);

/**
 * Adds the `deliver` job of a committed notification row: job name `deliver`, data
 * `{notificationId}`, job id `notification-<id>` (adding it twice is a no-op), delayed until
 * `send_at`. Every producer (the API, settlement, the webhook worker, the sweep, the scan) comes
 * through here or adds exactly this job.
 */
export class NotificationDispatcher {
  private readonly jobQueues: JobQueues;
  private readonly logger: Logger;

  constructor({ jobQueues, logger }: { jobQueues: JobQueues; logger: Logger }) {
    this.jobQueues = jobQueues;
    this.logger = logger;
  }

  async dispatch(notificationId: string, sendAt: Date | null = null, now = Date.now()): Promise<void> {
    const { data, options } = this.jobOf(notificationId, sendAt, now);
    await this.jobQueues.add('notifications', DELIVER_JOB, data, options);
  }

  /** dispatchOrLeave for many rows of one send time, MAX_JOBS_PER_ADD jobs per round trip. */
  async dispatchManyOrLeave(notificationIds: readonly string[], sendAt: Date | null = null): Promise<void> {
    const now = Date.now();
    for (let start = 0; start < notificationIds.length; start += MAX_JOBS_PER_ADD) {
      const chunk = notificationIds.slice(start, start + MAX_JOBS_PER_ADD);
      try {
        await this.jobQueues.addBulk('notifications', chunk.map((id) => ({ name: DELIVER_JOB, ...this.jobOf(id, sendAt, now) })));
      } catch (error) {
        this.logger.warn('notification jobs not added; their pending rows remain for the sweep', { notifications: notificationIds.length - start, error });
        return;
      }
    }
  }

  private jobOf(notificationId: string, sendAt: Date | null, now: number) {
    const delay = sendAt ? Math.max(0, sendAt.getTime() - now) : 0;
    return { data: { notificationId }, options: { jobId: notificationJobId(notificationId), delay } };
  }

  /** After the row's commit; if Redis is away the pending row stays and the sweep queues it. */
  async dispatchOrLeave(notificationId: string, sendAt: Date | null = null): Promise<void> {
    try {
      await this.dispatch(notificationId, sendAt);
    } catch (error) {
      this.logger.warn('notification job not added; its pending row remains for the sweep', { notification_id: notificationId, error });
    }
  }
}

import type { JobQueues } from '../../infrastructure/queues/job-queues';
import { jobId } from '../../infrastructure/queues/queue-names';
import type { Logger } from '../../infrastructure/logger';

export const DELIVER_JOB = 'deliver';
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
    const delay = sendAt ? Math.max(0, sendAt.getTime() - now) : 0;
    await this.jobQueues.add('notifications', DELIVER_JOB, { notificationId }, { jobId: notificationJobId(notificationId), delay });
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

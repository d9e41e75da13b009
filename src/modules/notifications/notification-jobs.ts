import { DelayedError, type Job } from 'bullmq';
import type { Cradle } from '../../container';
import type { Config } from '../../config';
import type { RateLimiterOptions } from 'bullmq';
import { DELIVER_JOB } from './notification-dispatcher';

export const SWEEP_JOB = 'sweep';
export const EXPIRY_SCAN_JOB = 'expiry-scan';

/** The job scope's services a notification job uses. */
type JobCradle = Pick<Cradle, 'notificationDeliveryService' | 'notificationSweepService' | 'expiryReminderService' | 'logger'>;

/**
 * The one processor of the `notifications` queue. `deliver` (data `{notificationId}`) sends one
 * row; a delivery that must wait (its send_at, the chat's pace, Telegram's retry_after, a backoff)
 * moves its job to the delayed set until then, which BullMQ does not count as a failed attempt.
 */
export async function processNotificationJob(job: Job, cradle: JobCradle): Promise<unknown> {
  switch (job.name) {
    case DELIVER_JOB: {
      const { notificationId } = job.data as { notificationId: string };
      const outcome = await cradle.notificationDeliveryService.deliver(notificationId);
      if (outcome.kind === 'done') return outcome.result;
      cradle.logger.debug('notification waits', { notification_id: notificationId, until: new Date(outcome.at).toISOString(), reason: outcome.reason });
      // The token is the worker's lock on the job: only its holder may move it.
      await job.moveToDelayed(outcome.at, job.token);
      throw new DelayedError();
    }
    case SWEEP_JOB:
      return { requeued: await cradle.notificationSweepService.run() };
    case EXPIRY_SCAN_JOB:
      return { queued: await cradle.expiryReminderService.scan() };
    default:
      cradle.logger.warn('unknown notification job ignored', { job_name: job.name });
      return 'ignored';
  }
}

/**
 * The global rate, held in Redis by BullMQ for every worker of the queue together: one job per
 * 1000/rate ms rather than `rate` per second, so no second ever sees a burst of 2x at a window's edge.
 */
export const notificationRateLimiter = (config: Config): RateLimiterOptions => ({
  max: 1,
  duration: Math.ceil(1000 / config.notifications.ratePerSecond),
});

/** The repeatable jobs: the same ids from every worker, so BullMQ keeps one schedule of each. */
export const notificationSchedules = (config: Config) => [
  { id: 'notification-sweep', everyMs: config.notifications.sweepIntervalMs, jobName: SWEEP_JOB },
  { id: 'expiry-reminder-scan', everyMs: config.notifications.expiryScanIntervalMs, jobName: EXPIRY_SCAN_JOB },
];

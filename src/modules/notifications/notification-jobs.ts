import { DelayedError, type Job, type RateLimiterOptions } from 'bullmq';
import type { Cradle } from '../../container';
import type { Config } from '../../config';
import type { QueueWorkerDefinition } from '../../infrastructure/queues/worker-runtime';
import { DELIVER_JOB } from './notification-dispatcher';
import { NODE_ALERTS_JOB } from './node-alert-window';

export const SWEEP_JOB = 'sweep';
export const EXPIRY_SCAN_JOB = 'expiry-scan';

/**
 * `deliver` (data `{notificationId}`) sends one row. A delivery that must wait (its send_at, the
 * chat's pace, Telegram's retry_after, a backoff) moves its job to the delayed set until then:
 * BullMQ counts that as no attempt, so the job never runs out of attempts by waiting.
 */
export async function deliverJob(job: Job, cradle: Pick<Cradle, 'notificationDeliveryService' | 'logger'>): Promise<string> {
  const { notificationId } = job.data as { notificationId: string };
  const outcome = await cradle.notificationDeliveryService.deliver(notificationId);
  if (outcome.kind === 'done') return outcome.result;
  cradle.logger.debug('notification waits', { notification_id: notificationId, until: new Date(outcome.at).toISOString(), reason: outcome.reason });
  // The token is this worker's lock on the job: only its holder may move it.
  await job.moveToDelayed(outcome.at, job.token);
  throw new DelayedError();
}

/**
 * The global rate, held in Redis by BullMQ for every worker of the queue together. Not `rate` per
 * second in one window, which lets a burst of twice the rate through across a window's edge: a
 * small burst (`LIMITER_BURST` jobs) per `LIMITER_BURST * 1000 / rate` ms, so any second holds the
 * rate and at most one burst more, while each wait for the next window (a Redis round trip
 * of the worker) is paid once per burst instead of once per message.
 */
export const LIMITER_BURST = 2;

export const notificationRateLimiter = (config: Config): RateLimiterOptions => {
  const burst = Math.min(LIMITER_BURST, config.notifications.ratePerSecond);
  return { max: burst, duration: Math.ceil((burst * 1000) / config.notifications.ratePerSecond) };
};

/**
 * What workers/notifications.ts consumes: deliveries under the global rate, the node alert
 * windows' messages, the sweep and the expiry scan on schedules (the same ids from every process, so BullMQ keeps one of each).
 */
export function notificationWorkerDefinitions(config: Config): readonly QueueWorkerDefinition[] {
  return [
    {
      queue: 'notifications',
      concurrency: config.notifications.concurrency,
      limiter: notificationRateLimiter(config),
      handlers: {
        [DELIVER_JOB]: (job, scope) => deliverJob(job, scope.cradle),
        [SWEEP_JOB]: async (_job, scope) => ({ requeued: await scope.cradle.notificationSweepService.run() }),
        [EXPIRY_SCAN_JOB]: async (_job, scope) => ({ queued: await scope.cradle.expiryReminderService.scan() }),
        [NODE_ALERTS_JOB]: async (job, scope) => ({ notificationId: await scope.cradle.nodeAlertWindow.flush((job.data as { windowId: string }).windowId) }),
      },
      schedules: [
        { id: 'notification-sweep', jobName: SWEEP_JOB, everyMs: config.notifications.sweepIntervalMs },
        { id: 'expiry-reminder-scan', jobName: EXPIRY_SCAN_JOB, everyMs: config.notifications.expiryScanIntervalMs },
      ],
    },
  ];
}

import type { Config } from '../../config';
import { isFinalAttempt, type QueueWorkerDefinition } from '../../infrastructure/queues/worker-runtime';
import { PROCESS_WEBHOOK_JOB, type ProcessWebhookData } from './webhook-jobs';

export const SWEEP_JOB = 'sweep';

/** What workers/webhooks.ts consumes: the webhook jobs, and the sweep every WEBHOOK_SWEEP_INTERVAL. */
export function webhookWorkerDefinitions(config: Config): readonly QueueWorkerDefinition[] {
  return [
    {
      queue: 'webhooks',
      handlers: {
        [PROCESS_WEBHOOK_JOB]: (job, scope) =>
          scope.cradle.webhookProcessor.process((job.data as ProcessWebhookData).webhookLogId, { finalAttempt: isFinalAttempt(job) }),
        [SWEEP_JOB]: (_job, scope) => scope.cradle.webhookSweep.run(),
      },
      schedules: [{ id: 'webhook-sweep', jobName: SWEEP_JOB, everyMs: config.webhooks.sweepIntervalMs }],
    },
  ];
}

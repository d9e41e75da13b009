import type { Config } from '../../config';
import { isFinalAttempt, type QueueWorkerDefinition } from '../../infrastructure/queues/worker-runtime';
import { PROCESS_WEBHOOK_JOB, type ProcessWebhookData } from './webhook-jobs';

export const SWEEP_JOB = 'sweep';
export const RECONCILE_JOB = 'reconcile-payments';
const DELIVER_JOB = 'deliver';
const OUTGOING_SWEEP_JOB = 'sweep';

/**
 * What workers/webhooks.ts consumes: webhooks coming in (their jobs, the sweep every
 * WEBHOOK_SWEEP_INTERVAL, the payment reconciliation every PAYMENT_RECONCILE_INTERVAL for the
 * webhooks that never come) and webhooks going out to the operator's systems.
 */
export function webhookWorkerDefinitions(config: Config): readonly QueueWorkerDefinition[] {
  return [
    {
      queue: 'webhooks',
      handlers: {
        [PROCESS_WEBHOOK_JOB]: (job, scope) =>
          scope.cradle.webhookProcessor.process((job.data as ProcessWebhookData).webhookLogId, { finalAttempt: isFinalAttempt(job) }),
        [SWEEP_JOB]: (_job, scope) => scope.cradle.webhookSweep.run(),
        [RECONCILE_JOB]: (_job, scope) => scope.cradle.paymentReconciliationService.run(),
      },
      schedules: [
        { id: 'webhook-sweep', jobName: SWEEP_JOB, everyMs: config.webhooks.sweepIntervalMs },
        { id: 'payment-reconciliation', jobName: RECONCILE_JOB, everyMs: config.reconciliation.intervalMs },
      ],
    },
    {
      queue: 'outgoing-webhooks',
      handlers: {
        [DELIVER_JOB]: (job, scope) =>
          scope.cradle.outgoingWebhookDelivery.deliver((job.data as { deliveryId: string }).deliveryId, { final: isFinalAttempt(job) }),
        [OUTGOING_SWEEP_JOB]: (_job, scope) => scope.cradle.outgoingWebhookEvents.requeueStale(),
      },
      schedules: [{ id: 'outgoing-webhook-sweep', jobName: OUTGOING_SWEEP_JOB, everyMs: config.webhooks.sweepIntervalMs }],
    },
  ];
}

import type { Config } from '../../config';
import { isFinalAttempt, type QueueWorkerDefinition } from '../../infrastructure/queues/worker-runtime';
import { IdempotencyKeyPruning } from '../payments/idempotency-key-pruning';
import { PROCESS_WEBHOOK_JOB, type ProcessWebhookData } from './webhook-jobs';

export const SWEEP_JOB = 'sweep';
export const RECONCILE_JOB = 'reconcile-payments';
export const NODE_STATUS_POLL_JOB = 'poll-node-status';
export const PRUNE_IDEMPOTENCY_KEYS_JOB = 'prune-idempotency-keys';
const DELIVER_JOB = 'deliver';
const OUTGOING_SWEEP_JOB = 'sweep';

/**
 * What workers/webhooks.ts consumes: webhooks coming in (their jobs, the sweep every
 * WEBHOOK_SWEEP_INTERVAL, the payment reconciliation every PAYMENT_RECONCILE_INTERVAL for the
 * webhooks that never come, the panel's node status every NODE_STATUS_POLL_INTERVAL for live
 * monitoring, old invoice Idempotency-Keys every hour) and webhooks going out to the operator's systems.
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
        [NODE_STATUS_POLL_JOB]: (_job, scope) => scope.cradle.nodeStatusPoll.run(),
        [PRUNE_IDEMPOTENCY_KEYS_JOB]: (_job, scope) => scope.cradle.idempotencyKeyPruning.run(),
      },
      schedules: [
        { id: 'node-status-poll', jobName: NODE_STATUS_POLL_JOB, everyMs: config.live.nodeStatusPollIntervalMs },
        { id: 'webhook-sweep', jobName: SWEEP_JOB, everyMs: config.webhooks.sweepIntervalMs },
        { id: 'payment-reconciliation', jobName: RECONCILE_JOB, everyMs: config.reconciliation.intervalMs },
        { id: 'idempotency-key-pruning', jobName: PRUNE_IDEMPOTENCY_KEYS_JOB, everyMs: IdempotencyKeyPruning.INTERVAL_MS },
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

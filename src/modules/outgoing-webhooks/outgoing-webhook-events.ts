import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { JobQueues } from '../../infrastructure/queues/job-queues';
import { jobId } from '../../infrastructure/queues/queue-names';
import type { Logger } from '../../infrastructure/logger';
import type { OutgoingWebhookRepository } from './outgoing-webhooks.repository';
import type { OutgoingEvent } from './outgoing-webhooks.schemas';

/**
 * Where events for the operator's systems come in. `record` writes one delivery per subscribed
 * endpoint inside the caller's transaction (the event and its deliveries commit together);
 * `dispatch` queues them after the commit. A dispatch lost to a Redis outage is found again by
 * the sweep (`requeueStale`).
 */
export class OutgoingWebhookEvents {
  private readonly repository: OutgoingWebhookRepository;
  private readonly jobQueues: JobQueues;
  private readonly config: Config;
  private readonly logger: Logger;

  constructor(deps: { outgoingWebhookRepository: OutgoingWebhookRepository; jobQueues: JobQueues; config: Config; logger: Logger }) {
    this.repository = deps.outgoingWebhookRepository;
    this.jobQueues = deps.jobQueues;
    this.config = deps.config;
    this.logger = deps.logger;
  }

  record(trx: Knex, event: OutgoingEvent, data: Record<string, unknown>): Promise<string[]> {
    const createdAt = new Date().toISOString();
    // The delivery id travels in the body too: receivers deduplicate on it (delivery is at least once).
    return this.repository.insertDeliveries(trx, event, (id) => JSON.stringify({ id, event, created_at: createdAt, data }));
  }

  async dispatch(deliveryIds: readonly string[]): Promise<void> {
    const { attempts, backoffMs } = this.config.outgoingWebhooks;
    for (const deliveryId of deliveryIds) {
      try {
        await this.jobQueues.add(
          'outgoing-webhooks',
          'deliver',
          { deliveryId },
          { jobId: jobId('delivery', deliveryId), attempts, backoff: { type: 'exponential', delay: backoffMs } },
        );
      } catch (error) {
        this.logger.warn('outgoing webhook job not added; the sweep will queue it', { delivery_id: deliveryId, error });
      }
    }
  }

  /** Records and dispatches in one go, for callers with no transaction of their own. */
  async emit(db: Knex, event: OutgoingEvent, data: Record<string, unknown>): Promise<void> {
    const ids = await db.transaction((trx) => this.record(trx, event, data));
    await this.dispatch(ids);
  }

  /** The sweep: pending deliveries untouched for a while are queued again (a job that exists is left alone). */
  async requeueStale(olderThanMs = 60_000): Promise<number> {
    const ids = await this.repository.stalePending(olderThanMs, 500);
    await this.dispatch(ids);
    return ids.length;
  }
}

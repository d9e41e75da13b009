import type { RedisClient } from '../redis/redis';
import { Queue, type JobsOptions } from 'bullmq';
import type { Config } from '../../config';
import type { Logger } from '../logger';
import { ServiceUnavailableError } from '../../shared/errors';
import { queuePrefix, type QueueName } from './queue-names';

/** As long as the request-path Redis commands may take (src/infrastructure/redis/redis.ts), and a little more. */
const ADD_TIMEOUT_MS = 1000;

/** Kept so an operator can look at recent history; the PostgreSQL record stays the truth. */
const RETENTION: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** States in which a job under an id no longer stands for work to do. */
const FINISHED_STATES = new Set(['completed', 'failed', 'unknown']);

/**
 * The producer side of every queue, one per process. It shares the request-path Redis connection,
 * which fails fast (no offline queue): adding a job while Redis is away throws at once, and the
 * caller's committed record is what a sweep later re-enqueues.
 */
export class JobQueues {
  private readonly config: Config;
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly queues = new Map<QueueName, Queue>();

  constructor({ config, redis, logger }: { config: Config; redis: RedisClient; logger: Logger }) {
    this.config = config;
    this.redis = redis;
    this.logger = logger;
  }

  /**
   * BullMQ waits for a connection that is not ready rather than failing: refuse at once instead,
   * so a caller (a webhook's intake, a health check, a scrape) never hangs on a Redis outage.
   */
  queue(name: QueueName): Queue {
    if (this.redis.status !== 'ready') throw new ServiceUnavailableError('redis');
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis, prefix: queuePrefix(this.config) });
      // An EventEmitter without an 'error' listener would throw; Redis outages are logged by the connection.
      queue.on('error', (error: Error) => this.logger.debug('queue error', { queue: name, error: error.message }));
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Adds a job under a deterministic id: adding the same id again while it exists is a no-op.
   * BullMQ waits for its connection to be ready without a bound, so the wait is bounded here; an
   * add that completes after giving up only adds the same deterministic job the sweep would.
   */
  async add(name: QueueName, jobName: string, data: Record<string, unknown>, options: JobsOptions & { jobId: string }): Promise<void> {
    await this.bounded(this.queue(name).add(jobName, data, { ...RETENTION, ...options }));
  }

  /** Several jobs in one round trip (one MULTI of BullMQ's add script), each as `add` would add it. */
  async addBulk(name: QueueName, jobs: ReadonlyArray<{ name: string; data: Record<string, unknown>; options: JobsOptions & { jobId: string } }>): Promise<void> {
    const queue = this.queue(name);
    await this.bounded(queue.addBulk(jobs.map((job) => ({ name: job.name, data: job.data, opts: { ...RETENTION, ...job.options } }))));
  }

  /**
   * Frees a deterministic job id for a new add, for the sweeps and retries that re-queue a record:
   * true when no job under it is still to run (a finished one kept for history is removed first,
   * else adding its id again would be a no-op), false while one waits, is delayed or runs.
   */
  async freeJobId(name: QueueName, jobId: string): Promise<boolean> {
    const queue = this.queue(name);
    const state = await queue.getJobState(jobId);
    if (!FINISHED_STATES.has(state)) return false;
    if (state !== 'unknown') await queue.remove(jobId);
    return true;
  }

  private async bounded(adding: Promise<unknown>): Promise<void> {
    adding.catch(() => {}); // its failure is reported through the race below, or no longer matters
    let timer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new ServiceUnavailableError('queue')), ADD_TIMEOUT_MS);
    });
    try {
      await Promise.race([adding, giveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the queues, not the shared connection (its owner closes it). */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }
}

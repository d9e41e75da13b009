import { randomUUID } from 'node:crypto';
import { asValue } from 'awilix';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job, type RateLimiterOptions } from 'bullmq';
import type { AppContainer } from '../../container';
import type { RequestContext } from '../../shared/request-context';
import { connectRedis, type RedisClient } from '../redis/redis';
import { queuePrefix, type QueueName } from './queue-names';

/** Runs one job in its own container scope; resolve what it needs from `scope.cradle`. */
export type JobHandler = (job: Job, scope: AppContainer) => Promise<unknown>;

/** A repeatable job (a sweep, a reconciliation): one schedule per id across every worker process. */
export interface JobSchedule {
  readonly id: string;
  readonly jobName: string;
  readonly everyMs: number;
}

/** What one worker process consumes from one queue: a handler per job name, and its schedules. */
export interface QueueWorkerDefinition {
  readonly queue: QueueName;
  readonly handlers: Readonly<Record<string, JobHandler>>;
  readonly schedules?: readonly JobSchedule[];
  /** Jobs this process runs at once from this queue; WORKER_CONCURRENCY when absent. */
  readonly concurrency?: number;
  /** BullMQ's rate limit of the queue, kept in Redis: it holds across every worker process together. */
  readonly limiter?: RateLimiterOptions;
}

/** Whether this is the job's last try: its failure is then final (no retry follows). */
export const isFinalAttempt = (job: Job): boolean => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

/**
 * The consumer side of the queues, shared by every worker process. A job is handled like a
 * request: its own Awilix scope of the one container, and a context carrying its job id, so
 * every log line and audit entry it writes names the job.
 *
 * BullMQ's blocking commands need a connection of their own that waits for Redis instead of
 * failing (maxRetriesPerRequest: null); the producer side (JobQueues) keeps failing fast.
 * A job whose worker died (SIGKILL, a lost host) keeps its lock for `lockDuration`; after that,
 * any worker's stalled check (every `stalledInterval`) puts it back in the queue.
 */
export class WorkerRuntime {
  private readonly container: AppContainer;
  private readonly definitions: readonly QueueWorkerDefinition[];
  private connection: RedisClient | undefined;
  private readonly workers: Worker[] = [];
  private readonly schedulers: Queue[] = [];
  private stopping: Promise<void> | undefined;

  constructor(container: AppContainer, definitions: readonly QueueWorkerDefinition[]) {
    this.container = container;
    this.definitions = definitions;
  }

  /** Running and not shutting down: what a supervisor's readiness check asks. */
  get running(): boolean {
    return this.workers.length > 0 && this.stopping === undefined && this.workers.every((worker) => worker.isRunning());
  }

  start(): void {
    const { config, logger } = this.container.cradle;
    const connection = connectRedis(config, { maxRetriesPerRequest: null, retryStrategy: (attempt) => Math.min(attempt * 200, 2000) });
    let reportedDown = false;
    connection.on('error', (error: Error) => {
      if (!reportedDown) logger.warn('worker redis connection error', { error: error.message });
      reportedDown = true;
    });
    connection.on('ready', () => {
      if (reportedDown) logger.info('worker redis connection restored');
      reportedDown = false;
    });
    this.connection = connection;
    const prefix = queuePrefix(config);
    for (const definition of this.definitions) {
      const worker = new Worker(definition.queue, (job) => this.handle(definition, job), {
        connection,
        prefix,
        concurrency: definition.concurrency ?? config.workers.concurrency,
        ...(definition.limiter ? { limiter: definition.limiter } : {}),
        lockDuration: config.workers.lockDurationMs,
        stalledInterval: config.workers.stalledIntervalMs,
      });
      worker.on('error', (error: Error) => logger.debug('worker error', { queue: definition.queue, error: error.message }));
      worker.on('stalled', (jobId: string) => logger.warn('stalled job taken over', { queue: definition.queue, job_id: jobId }));
      this.workers.push(worker);
      if (definition.schedules?.length) this.schedule(definition.queue, definition.schedules, connection, prefix);
    }
  }

  /** Stops taking jobs, lets the running ones finish, then closes the worker connection. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.workers.map((worker) => worker.close()));
      await Promise.all(this.schedulers.map((queue) => queue.close()));
      await this.connection?.quit().catch(() => this.connection?.disconnect());
    })();
    return this.stopping;
  }

  /**
   * Upserting a schedule is idempotent (same id, same interval), so every process may do it at
   * start; on this process's waiting connection it happens as soon as Redis is reachable.
   */
  private schedule(queueName: QueueName, schedules: readonly JobSchedule[], connection: RedisClient, prefix: string): void {
    const { logger } = this.container.cradle;
    const queue = new Queue(queueName, { connection, prefix });
    queue.on('error', (error: Error) => logger.debug('scheduler queue error', { queue: queueName, error: error.message }));
    this.schedulers.push(queue);
    for (const schedule of schedules) {
      queue
        .upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.jobName, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } })
        .catch((error: unknown) => logger.error('job schedule not registered', { schedule: schedule.id, error }));
    }
  }

  private async handle(definition: QueueWorkerDefinition, job: Job): Promise<unknown> {
    const { logger, requestContextStore } = this.container.cradle;
    const handler = definition.handlers[job.name];
    if (!handler) throw new UnrecoverableError(`no handler for job "${job.name}" on queue "${definition.queue}"`);
    const context: RequestContext = { requestId: randomUUID(), ip: '', userAgent: undefined, jobId: job.id };
    const scope = this.container.createScope() as AppContainer;
    scope.register({ requestContext: asValue(context) });
    return requestContextStore.run(context, async () => {
      const started = performance.now();
      try {
        const result = await handler(job, scope);
        logger.debug('job done', { queue: definition.queue, job: job.name, attempt: job.attemptsMade + 1, duration_ms: Math.round(performance.now() - started) });
        return result;
      } catch (error) {
        // A job that moved itself to the delayed set (job.moveToDelayed) waits; it did not fail.
        if (error instanceof DelayedError) throw error;
        logger.warn('job failed', { queue: definition.queue, job: job.name, attempt: job.attemptsMade + 1, final: isFinalAttempt(job), error });
        throw error;
      } finally {
        await scope.dispose().catch((error: unknown) => logger.error('job scope disposal failed', { error }));
      }
    });
  }
}

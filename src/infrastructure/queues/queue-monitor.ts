import type { Config } from '../../config';
import type { JobQueues } from './job-queues';
import { QUEUE_NAMES, type QueueName } from './queue-names';

/** One queue's state as an operator reads it. */
export interface QueueStats {
  status: 'ok' | 'degraded';
  waiting: number;
  active: number;
  failed: number;
  delayed: number;
  /** How long the oldest job ready to run has been waiting; 0 when none waits. */
  oldest_waiting_age_seconds: number;
}

/**
 * Reads every queue's counts from Redis (through the producer connection, which fails fast when
 * Redis is away). A queue is degraded when work piles up (waiting), waits too long (the oldest
 * waiting job's age: no worker is taking jobs) or keeps failing (failed jobs kept for inspection).
 */
export class QueueMonitor {
  private readonly config: Config;
  private readonly jobQueues: JobQueues;

  constructor({ config, jobQueues }: { config: Config; jobQueues: JobQueues }) {
    this.config = config;
    this.jobQueues = jobQueues;
  }

  async snapshot(): Promise<Record<QueueName, QueueStats>> {
    const entries = await Promise.all(QUEUE_NAMES.map(async (name) => [name, await this.statsOf(name)] as const));
    return Object.fromEntries(entries) as Record<QueueName, QueueStats>;
  }

  private async statsOf(name: QueueName): Promise<QueueStats> {
    const queue = this.jobQueues.queue(name);
    const [counts, oldest] = await Promise.all([queue.getJobCounts('waiting', 'active', 'failed', 'delayed'), queue.getJobs(['waiting'], 0, 0, true)]);
    const oldestJob = oldest[0];
    // A delayed job (a retry's backoff) becomes ready at timestamp + delay, not when it was created.
    const readyAt = oldestJob ? oldestJob.timestamp + (oldestJob.opts.delay ?? 0) : Date.now();
    const ageSeconds = Math.max(0, Math.round((Date.now() - readyAt) / 1000));
    const { waitingDegraded, oldestWaitingDegradedMs, failedDegraded } = this.config.queueHealth;
    const waiting = counts.waiting ?? 0;
    const failed = counts.failed ?? 0;
    const degraded = waiting >= waitingDegraded || ageSeconds * 1000 >= oldestWaitingDegradedMs || failed >= failedDegraded;
    return { status: degraded ? 'degraded' : 'ok', waiting, active: counts.active ?? 0, failed, delayed: counts.delayed ?? 0, oldest_waiting_age_seconds: ageSeconds };
  }
}

import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Piscina } from 'piscina';
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics';
import type { Config } from '../config';
import { ServiceUnavailableError } from '../shared/errors';
import type { PasswordHashTask } from '../../workers/password-hash.worker';

// .ts under tsx, .js from the compiled build: the worker file sits beside us in either tree.
const WORKER_FILE = path.resolve(__dirname, '../../workers', `password-hash.worker${path.extname(__filename)}`);

/**
 * bcrypt in a bounded pool of low-priority worker threads: the event loop never hashes, and when
 * the queue is full callers get ServiceUnavailableError (503 + Retry-After) instead of latency
 * that grows without limit.
 */
export class PasswordHasher {
  private readonly pool: Piscina;
  private readonly cost: number;
  private dummyHash: Promise<string> | undefined;

  constructor({ config, metrics }: { config: Config; metrics: Metrics }) {
    const { threads, maxQueue, cost } = config.passwordHashing;
    this.cost = cost;
    this.pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: threads,
      maxThreads: threads,
      maxQueue,
      // Hashing yields the CPU to the event loop whenever both want it.
      niceIncrement: 10,
      // First come, first hashed: by default a task that found its thread busy goes to the back of
      // the queue, and under a login storm some logins waited twice as long as the median.
      stricterFIFO: true,
      idleTimeout: 60_000,
    });
    const pool = this.pool;
    new Gauge({
      name: 'password_hash_queue_size',
      help: 'Password hashing tasks waiting for a thread',
      registers: [metrics.registry],
      collect() {
        this.set(pool.queueSize);
      },
    });
    new Gauge({
      name: 'password_hash_tasks_completed',
      help: 'Password hashing tasks completed since start (kept by the pool, hence a gauge)',
      registers: [metrics.registry],
      collect() {
        this.set(pool.completed);
      },
    });
  }

  /** Hashes and verifications finished since start (the same work for every login outcome). */
  get completedTasks(): number {
    return this.pool.completed;
  }

  hash(password: string): Promise<string> {
    return this.run({ op: 'hash', password, cost: this.cost }) as Promise<string>;
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.run({ op: 'verify', password, hash }) as Promise<boolean>;
  }

  /**
   * Spends the same work as a real verification when there is no account, so that "no such
   * login" cannot be told from "wrong password" by timing.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    // A failed attempt (pool saturated) must not be remembered, or every later unknown login would
    // fail the same way and stand out from a wrong password.
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex')).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    await this.verify(password, await this.dummyHash);
    return false;
  }

  /** Whether a stored hash was made at the configured cost (`$2b$12$...`). */
  isAtCurrentCost(hash: string): boolean {
    return Number(/^\$2[aby]\$(\d{2})\$/.exec(hash)?.[1]) === this.cost;
  }

  /** Worker threads hashing in parallel: the login ceiling is this times one thread's rate. */
  get threads(): number {
    return this.pool.options.maxThreads;
  }

  async close(): Promise<void> {
    await this.pool.close({ force: true });
  }

  private async run(task: PasswordHashTask): Promise<unknown> {
    if (this.pool.queueSize >= this.pool.options.maxQueue) {
      throw new ServiceUnavailableError('password hashing', 2);
    }
    try {
      return await this.pool.run(task);
    } catch (error) {
      if (error instanceof Error && /queue is at limit/i.test(error.message)) {
        throw new ServiceUnavailableError('password hashing', 2, { cause: error });
      }
      throw error;
    }
  }
}

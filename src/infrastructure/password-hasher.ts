import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Piscina } from 'piscina';
import { Gauge } from 'prom-client';
import type { Metrics } from './metrics';
import type { Config } from '../config';
import { ServiceUnavailableError } from '../shared/errors';
import type { PasswordHashTask, VerifyOutcome } from '../../workers/password-hash.worker';

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
  private rounds = 0;

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

  /**
   * bcrypt rounds (2^cost per bcrypt call) spent by verifications since start: what tests compare
   * to show that refused logins of every kind do the same work.
   */
  get roundsSpent(): number {
    return this.rounds;
  }

  hash(password: string): Promise<string> {
    return this.run({ op: 'hash', password, cost: this.cost }) as Promise<string>;
  }

  /**
   * With `chargeCost`, spends at least the work of a verification at the dearer of that cost and
   * BCRYPT_COST, whatever the stored hash's own cost (the worker adds the missing rounds in the
   * same task). Logins use it so that an account with a dated hash answers in the same time as
   * any other refusal.
   */
  async verify(password: string, hash: string, chargeCost?: number): Promise<boolean> {
    const charge = chargeCost === undefined ? undefined : Math.max(chargeCost, this.cost);
    const { matches, rounds } = (await this.run({ op: 'verify', password, hash, chargeCost: charge })) as VerifyOutcome;
    this.rounds += rounds;
    return matches;
  }

  /**
   * Makes the dummy hash now (boot), so the first unknown login does not pay for making it: that
   * one would otherwise cost a hash plus a verification, a timing outlier.
   */
  async prepare(): Promise<void> {
    await this.dummy();
  }

  /**
   * Spends the same work as a real verification when there is no account, so that "no such
   * login" cannot be told from "wrong password" by timing. The dummy is at BCRYPT_COST;
   * `chargeCost` raises it like `verify`'s.
   */
  async verifyAgainstDummy(password: string, chargeCost?: number): Promise<false> {
    await this.verify(password, await this.dummy(), chargeCost);
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

  private dummy(): Promise<string> {
    // A failed attempt (pool saturated) must not be remembered, or every later unknown login would
    // fail the same way and stand out from a wrong password.
    this.dummyHash ??= this.hash(randomBytes(16).toString('hex')).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    return this.dummyHash;
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
      // A full queue, or a task still waiting when shutdown closed the pool: both are "come back
      // later" (503 + Retry-After), never an internal error.
      if (error instanceof Error && (/queue is at limit/i.test(error.message) || error.name === 'AbortError')) {
        throw new ServiceUnavailableError('password hashing', 2, { cause: error });
      }
      throw error;
    }
  }
}

import type { Redis } from 'ioredis';
import type { Config } from '../../config';
import { RateLimitedError } from '../../shared/errors';
import { sha256Hex } from '../../shared/secrets';
import { redisKey } from '../../infrastructure/redis/redis';
import { normaliseLogin } from '../admins/admins.repository';

/**
 * Brute-force guard for everything that checks a secret. Failures are counted per subject:
 * - the submitted login string (normalised), whether or not such an account exists, so a
 *   lock-out says nothing about which accounts exist; checked before the password;
 * - the account, for guesses made by someone who already got past the password or holds a
 *   session (second factor, change-password, 2FA management); checked before those secrets, so
 *   spelling the login another way (email, case) buys no extra attempts.
 * After MAX_FAILURES within the window a subject answers 429 for a cool-down that doubles with
 * each lock-out (up to an hour); a success clears it. Kept in Redis, shared by every API
 * process; when Redis is down this fails closed (503), like the auth rate limiter.
 */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_SECONDS = 15 * 60;
const FIRST_COOL_DOWN_SECONDS = 60;
const LONGEST_COOL_DOWN_SECONDS = 3600;
const LOCK_MEMORY_SECONDS = 24 * 3600;

export type ThrottleSubject = string & { readonly __throttleSubject: true };
/** A submitted login as matched against accounts (normalised), hashed: what lock-outs and audits keep of it. */
export const loginFingerprint = (login: string): string => sha256Hex(normaliseLogin(login));
export const loginSubject = (login: string) => `login:${loginFingerprint(login)}` as ThrottleSubject;
export const accountSubject = (adminId: string) => `account:${adminId}` as ThrottleSubject;

export class LoginThrottle {
  private readonly redis: Redis;
  private readonly config: Config;

  constructor({ redis, config }: { redis: Redis; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  async assertNotLocked(subject: ThrottleSubject): Promise<void> {
    const ttl = await this.redis.ttl(this.key('lock', subject));
    if (ttl > 0) throw new RateLimitedError(ttl);
  }

  async recordFailure(...subjects: ThrottleSubject[]): Promise<void> {
    await Promise.all(subjects.map((subject) => this.recordOne(subject)));
  }

  async reset(...subjects: ThrottleSubject[]): Promise<void> {
    const keys = subjects.flatMap((subject) => ['failures', 'level', 'lock'].map((kind) => this.key(kind, subject)));
    await this.redis.del(...keys);
  }

  private async recordOne(subject: ThrottleSubject): Promise<void> {
    const failures = this.key('failures', subject);
    const [[, count] = []] = (await this.redis.multi().incr(failures).expire(failures, FAILURE_WINDOW_SECONDS, 'NX').exec()) ?? [];
    if (Number(count) < MAX_FAILURES) return;

    const level = this.key('level', subject);
    const [[, lockCount] = []] = (await this.redis.multi().incr(level).expire(level, LOCK_MEMORY_SECONDS).del(failures).exec()) ?? [];
    const coolDown = Math.min(FIRST_COOL_DOWN_SECONDS * 2 ** (Number(lockCount) - 1), LONGEST_COOL_DOWN_SECONDS);
    await this.redis.set(this.key('lock', subject), '1', 'EX', coolDown);
  }

  private key(kind: string, subject: ThrottleSubject): string {
    return redisKey(this.config, 'throttle', kind, subject);
  }
}

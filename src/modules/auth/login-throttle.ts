import type { Redis } from 'ioredis';
import type { Config } from '../../config';
import { RateLimitedError } from '../../shared/errors';
import { sha256Hex } from '../../shared/secrets';
import { redisKey } from '../../infrastructure/redis/redis';

/**
 * Per-account brute-force guard. Failures are counted per submitted login string (normalised),
 * whether or not such an account exists, so a lock-out says nothing about which accounts exist.
 * After MAX_FAILURES within the window, logins for that string answer 429 for a cool-down that
 * doubles with each lock-out (up to an hour); a success clears it all. Kept in Redis, shared by
 * every API process; when Redis is down this fails closed (503), like the auth rate limiter.
 */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_SECONDS = 15 * 60;
const FIRST_COOL_DOWN_SECONDS = 60;
const LONGEST_COOL_DOWN_SECONDS = 3600;
const LOCK_MEMORY_SECONDS = 24 * 3600;

export class LoginThrottle {
  private readonly redis: Redis;
  private readonly config: Config;

  constructor({ redis, config }: { redis: Redis; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  async assertNotLocked(login: string): Promise<void> {
    const ttl = await this.redis.ttl(this.key('lock', login));
    if (ttl > 0) throw new RateLimitedError(ttl);
  }

  async recordFailure(login: string): Promise<void> {
    const failures = this.key('failures', login);
    const [[, count] = []] = (await this.redis.multi().incr(failures).expire(failures, FAILURE_WINDOW_SECONDS, 'NX').exec()) ?? [];
    if (Number(count) < MAX_FAILURES) return;

    const level = this.key('level', login);
    const [[, lockCount] = []] = (await this.redis.multi().incr(level).expire(level, LOCK_MEMORY_SECONDS).del(failures).exec()) ?? [];
    const coolDown = Math.min(FIRST_COOL_DOWN_SECONDS * 2 ** (Number(lockCount) - 1), LONGEST_COOL_DOWN_SECONDS);
    await this.redis.set(this.key('lock', login), '1', 'EX', coolDown);
  }

  async reset(login: string): Promise<void> {
    await this.redis.del(this.key('failures', login), this.key('level', login), this.key('lock', login));
  }

  private key(kind: string, login: string): string {
    return redisKey(this.config, 'login', kind, sha256Hex(login.trim().toLowerCase()));
  }
}

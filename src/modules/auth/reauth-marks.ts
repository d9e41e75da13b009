import type { Config } from '../../config';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import { ReauthRequiredError } from '../../shared/errors';

/** How long a re-authentication (POST /2fa/reauth) vouches for its session. */
export const REAUTH_TTL_SECONDS = 300;

/**
 * "This session proved its password (and second factor) again a moment ago", per login session
 * (refresh-token family). Kept in Redis: it expires by itself, every API process sees it, and the
 * per-request principal query stays as it is; only sensitive routes read it. Redis being away
 * makes the read fail, which answers 503: never a sensitive step without the proof. A mark
 * outliving its session is harmless: the session check refuses the request before this one.
 */
export class ReauthMarks {
  private readonly redis: RedisClient;
  private readonly config: Config;

  constructor({ redis, config }: { redis: RedisClient; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  async mark(sessionId: string): Promise<void> {
    await this.redis.set(this.key(sessionId), '1', 'EX', REAUTH_TTL_SECONDS);
  }

  async isRecent(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.key(sessionId))) === 1;
  }

  async assertRecent(sessionId: string): Promise<void> {
    if (!(await this.isRecent(sessionId))) throw new ReauthRequiredError('no recent re-authentication on this session');
  }

  private key(sessionId: string): string {
    return redisKey(this.config, 'reauth', sessionId);
  }
}

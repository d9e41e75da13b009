import type { Redis } from 'ioredis';
import type { Config } from '../../config';
import { redisKey } from '../../infrastructure/redis/redis';
import { randomToken, sha256Hex } from '../../shared/secrets';

export type OAuthProvider = 'github' | 'telegram';
export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ['github', 'telegram'];

/**
 * The `state` of an OAuth round trip: random, kept in Redis for 10 minutes (shared by every API
 * process) under its hash, bound to its provider, and spent by the first use (GETDEL), whether or
 * not the rest of that attempt succeeds.
 */
export const STATE_TTL_SECONDS = 600;

export class OAuthStateStore {
  private readonly redis: Redis;
  private readonly config: Config;

  constructor({ redis, config }: { redis: Redis; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  async issue(provider: OAuthProvider): Promise<string> {
    const state = randomToken();
    await this.redis.set(this.key(state), provider, 'EX', STATE_TTL_SECONDS);
    return state;
  }

  /** True once for a state issued for this provider within the last 10 minutes. */
  async consume(provider: OAuthProvider, state: string): Promise<boolean> {
    return (await this.redis.getdel(this.key(state))) === provider;
  }

  private key(state: string): string {
    return redisKey(this.config, 'oauth-state', sha256Hex(state));
  }
}

import { generateSecret, generateURI, verify } from 'otplib';
import type { Config } from '../../config';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';

/**
 * RFC 6238 codes (SHA-1, 6 digits, 30 s, as authenticator apps expect) through otplib, with a
 * window of one step either side and a replay guard: a time step, once accepted for an admin,
 * is never accepted again (Redis, shared by every process).
 */
const STEP_SECONDS = 30;
const WINDOW_STEPS = 1;

export class Totp {
  private readonly redis: RedisClient;
  private readonly config: Config;

  constructor({ redis, config }: { redis: RedisClient; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  newSecret(): string {
    return generateSecret();
  }

  uri(secret: string, accountName: string): string {
    return generateURI({ issuer: 'CyberVPN Admin', label: accountName, secret });
  }

  /** The time step a code belongs to within the window, or null; spends nothing. */
  async matchingStep(secret: string, code: string, epochSeconds = Date.now() / 1000): Promise<number | null> {
    if (!/^\d{6}$/.test(code)) return null;
    const result = await verify({ secret, token: code, epoch: Math.floor(epochSeconds), epochTolerance: STEP_SECONDS * WINDOW_STEPS });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }

  /** True once per (admin, time step): the code is valid now and was not used before. */
  async accept(adminId: string, secret: string, code: string): Promise<boolean> {
    const step = await this.matchingStep(secret, code);
    if (step === null) return false;
    // The step stays remembered for as long as the window could still accept its code.
    const ttl = STEP_SECONDS * (2 * WINDOW_STEPS + 2);
    const fresh = await this.redis.set(redisKey(this.config, 'totp-used', adminId, String(step)), '1', 'EX', ttl, 'NX');
    return fresh === 'OK';
  }
}

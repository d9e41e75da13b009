import type { Config } from '../../config';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';

/**
 * About one message a second per chat, across every worker process: a Redis key per chat that
 * lives for the interval. Whoever sets it may send now; anyone else learns how long to wait.
 */
export class ChatPacer {
  private readonly redis: RedisClient;
  private readonly config: Config;

  constructor({ redis, config }: { redis: RedisClient; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  /** 0 when the chat's slot was taken for `intervalMs`; else the milliseconds until it frees. */
  async take(chatId: string, intervalMs: number): Promise<number> {
    if (intervalMs <= 0) return 0;
    const key = this.key(chatId);
    if ((await this.redis.set(key, '1', 'PX', intervalMs, 'NX')) === 'OK') return 0;
    // The key may have expired between the two commands: then the slot is free a moment later.
    return Math.max(1, await this.redis.pttl(key));
  }

  /** Telegram asked this chat to wait (429 retry_after): nobody sends to it before then. */
  async holdFor(chatId: string, ms: number): Promise<void> {
    await this.redis.set(this.key(chatId), '1', 'PX', Math.max(1, ms));
  }

  private key(chatId: string): string {
    return redisKey(this.config, 'notify', 'chat', chatId);
  }
}

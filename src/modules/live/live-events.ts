import type { Config } from '../../config';
import type { Logger } from '../../infrastructure/logger';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import type { LiveTopic } from './live-topics';

/** What travels on the channel: every API process fans it out to its own subscribed sockets. */
export interface LiveEventMessage {
  readonly topic: LiveTopic;
  readonly data: Record<string, unknown>;
}

/** One channel for every topic: a subscriber needs one SUBSCRIBE, and the topic is in the message. */
export const liveEventsChannel = (config: Config): string => redisKey(config, 'live', 'events');

/**
 * Publishes live monitoring events from wherever they happen (API, webhook worker) through Redis
 * pub/sub. Delivery is best effort, like the sockets that receive it: a publish that fails is
 * logged and never fails the settlement, webhook or poll that caused it.
 */
export class LiveEvents {
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly channel: string;

  constructor({ redis, logger, config }: { redis: RedisClient; logger: Logger; config: Config }) {
    this.redis = redis;
    this.logger = logger;
    this.channel = liveEventsChannel(config);
  }

  /** `event` names what happened (`payment.completed`); `data` is what a dashboard shows of it. */
  async publish(topic: LiveTopic, event: string, data: Record<string, unknown>): Promise<void> {
    const message: LiveEventMessage = { topic, data: { event, ...data, occurred_at: new Date().toISOString() } };
    try {
      await this.redis.publish(this.channel, JSON.stringify(message));
    } catch (error) {
      this.logger.warn('live event not published', { topic, event, error });
    }
  }
}

import { Redis } from 'ioredis';
import type { Config } from '../../config';
import type { Logger } from '../logger';

/**
 * The request-path Redis connection. Commands fail fast while Redis is away (no offline queue,
 * one retry) or stalls (command timeout) so a request answers 503 at once instead of hanging;
 * the connection itself keeps reconnecting in the background.
 */
export function createRedis({ config, logger }: { config: Config; logger: Logger }): Redis {
  const redis = new Redis(config.redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that accepts the connection but stops answering must not hold requests either.
    commandTimeout: 500,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let reportedDown = false;
  redis.on('error', (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt; one line per outage is enough.
    if (!reportedDown) logger.warn('redis connection error', { error: error.message });
    reportedDown = true;
  });
  redis.on('ready', () => {
    if (reportedDown) logger.info('redis connection restored');
    reportedDown = false;
  });
  return redis;
}

/** Every key this service writes starts with the configured prefix (tests isolate runs by it). */
export const redisKey = (config: Config, ...parts: string[]): string => `${config.redis.keyPrefix}${parts.join(':')}`;

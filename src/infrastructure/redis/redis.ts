import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config';
import type { Logger } from '../logger';

/** A single Redis server or a Redis Cluster (REDIS_CLUSTER_NODES): every caller speaks both. */
export type RedisClient = Redis | Cluster;

/**
 * Opens a connection with these options to the configured Redis: the REDIS_URL server, or the
 * Cluster seeded by REDIS_CLUSTER_NODES, each node reached with REDIS_URL's credentials and TLS.
 * Cluster-level options that must match the per-node ones (offline queue) are carried over.
 */
export function connectRedis(config: Config, options: RedisOptions): RedisClient {
  if (config.redis.clusterNodes.length === 0) return new Redis(config.redis.url, options);
  const url = new URL(config.redis.url);
  const nodeOptions: RedisOptions = {
    ...options,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
  return new Cluster([...config.redis.clusterNodes], {
    redisOptions: nodeOptions,
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    clusterRetryStrategy: options.retryStrategy,
  });
}

/**
 * The request-path Redis connection. Commands fail fast while Redis is away (no offline queue,
 * one retry) or stalls (command timeout) so a request answers 503 at once instead of hanging;
 * the connection itself keeps reconnecting in the background.
 */
export function createRedis({ config, logger }: { config: Config; logger: Logger }): RedisClient {
  const redis = connectRedis(config, {
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

/**
 * Every key this service writes starts with the configured prefix (tests isolate runs by it),
 * then its feature as a hash tag: `<prefix>{throttle}:ip:1.2.3.4`. On a Redis Cluster every key
 * of one feature lives on one slot, so a feature's multi-key commands and Lua scripts (the login
 * throttle's, rate-limit-redis's) work there too. The prefix may hold no braces (env schema).
 */
export const redisKey = (config: Config, feature: string, ...parts: string[]): string =>
  [`${config.redis.keyPrefix}{${feature}}`, ...parts].join(':');

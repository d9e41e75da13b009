import type { RedisClient } from './redis';

/**
 * Gives a fresh connection a moment to come up before traffic arrives: with the offline queue off,
 * commands sent while it is still connecting would fail. Resolves false when Redis stays away;
 * the process starts anyway and reports not-ready until the connection is back.
 */
export function waitUntilReady(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}

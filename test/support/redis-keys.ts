import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from '../../src/infrastructure/redis/redis';

/** Deletes every key under a prefix (one test run's or one benchmark's), without blocking Redis; on a Cluster, on every master. */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<void> {
  const servers: Redis[] = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      // One DEL per key (pipelined): on a Cluster, keys of different slots cannot share one.
      if (keys.length > 0) await keys.reduce((pipeline, key) => pipeline.del(key), server.pipeline()).exec();
      cursor = next;
    } while (cursor !== '0');
  }
}

import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../../src/config';
import { connectRedis, redisKey } from '../../../src/infrastructure/redis/redis';
import { testEnv } from '../../support/env';

describe('Redis Cluster settings (REDIS_CLUSTER_NODES) and hash-tagged keys', () => {
  it('when REDIS_CLUSTER_NODES is unset, then there are no cluster nodes and a single-server client is opened', () => {
    const config = loadConfig(testEnv());
    expect(config.redis.clusterNodes).to.deep.equal([]);
    const client = connectRedis(config, { lazyConnect: true });
    expect(client).to.be.instanceOf(Redis);
    client.disconnect();
  });

  it('when REDIS_CLUSTER_NODES lists host:port pairs, then each becomes a seed node', () => {
    const config = loadConfig(testEnv({ REDIS_CLUSTER_NODES: ' 10.0.0.1:6379, cache-2.internal:7000 ' }));
    expect(config.redis.clusterNodes).to.deep.equal([
      { host: '10.0.0.1', port: 6379 },
      { host: 'cache-2.internal', port: 7000 },
    ]);
  });

  for (const bad of ['10.0.0.1', '10.0.0.1:6379,', 'redis://10.0.0.1:6379', '10.0.0.1:abc']) {
    it(`when REDIS_CLUSTER_NODES is "${bad}", then the configuration is refused naming the key`, () => {
      expect(() => loadConfig(testEnv({ REDIS_CLUSTER_NODES: bad }))).to.throw(ConfigError, /REDIS_CLUSTER_NODES/);
    });
  }

  it('when the cluster is reached with a rediss: URL carrying credentials, then every node gets the user, password and TLS', () => {
    const config = loadConfig(testEnv({ REDIS_URL: 'rediss://ops%40:p%3Ass@ignored.host:6380/0', REDIS_CLUSTER_NODES: '127.0.0.1:1' }));
    const client = connectRedis(config, { lazyConnect: true, enableOfflineQueue: false }) as Cluster;
    expect(client).to.be.instanceOf(Cluster);
    expect(client.options.redisOptions).to.deep.include({ username: 'ops@', password: 'p:ss', tls: {}, enableOfflineQueue: false });
    expect(client.options.enableOfflineQueue).to.equal(false);
    client.disconnect();
  });

  it('when the cluster is reached with a plain URL, then no credentials and no TLS are set, and the offline queue stays on', () => {
    const config = loadConfig(testEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:1' }));
    const client = connectRedis(config, { lazyConnect: true }) as Cluster;
    expect(client.options.redisOptions).to.deep.include({ username: undefined, password: undefined, tls: undefined });
    expect(client.options.enableOfflineQueue).to.equal(true);
    client.disconnect();
  });

  it('when a key is built, then its feature is the hash tag right after the prefix', () => {
    const config = loadConfig(testEnv({ REDIS_KEY_PREFIX: 'prod:' }));
    expect(redisKey(config, 'throttle', 'lock', 'login:alice')).to.equal('prod:{throttle}:lock:login:alice');
    expect(redisKey(config, 'live', 'events')).to.equal('prod:{live}:events');
  });
});

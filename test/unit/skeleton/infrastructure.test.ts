import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config';
import { createKnex } from '../../../src/infrastructure/db/knex';
import { createLogger } from '../../../src/infrastructure/logger';
import { waitUntilReady } from '../../../src/infrastructure/redis/wait-until-ready';
import { RequestContextStore } from '../../../src/shared/request-context';
import { CapturedLogs } from '../../support/captured-logs';
import { testEnv } from '../../support/env';

describe('infrastructure', () => {
  describe('knex logging', () => {
    it("when knex has something to say, then it goes through our logger (not console.log) at the matching level", async () => {
      const config = loadConfig(testEnv({ LOG_LEVEL: 'debug' }));
      const logs = new CapturedLogs();
      const logger = createLogger({ config, requestContextStore: new RequestContextStore() }, [logs]);
      const db = createKnex({ config, logger });
      try {
        const knexLogger = (db.client as { logger: Record<'warn' | 'error' | 'debug', (message: string) => void> & { deprecate: (a: string, b: string) => void } }).logger;
        knexLogger.warn('w-message');
        knexLogger.error('e-message');
        knexLogger.deprecate('oldThing', 'newThing');
        knexLogger.debug('g-message');
      } finally {
        await db.destroy();
      }
      expect(logs.entries.map((entry) => [entry.level, entry.message, entry.detail])).to.deep.equal([
        ['warn', 'knex warning', 'w-message'],
        ['error', 'knex error', 'e-message'],
        ['warn', 'knex deprecation', 'oldThing is deprecated, please use newThing'],
        ['debug', 'knex debug', 'g-message'],
      ]);
    });
  });

  describe('waitUntilReady', () => {
    const fakeRedis = (status: string) => Object.assign(new EventEmitter(), { status }) as unknown as Redis;

    it('when the connection is already ready, then it resolves true at once', async () => {
      expect(await waitUntilReady(fakeRedis('ready'), 10)).to.equal(true);
    });

    it('when the connection becomes ready, then it resolves true', async () => {
      const redis = fakeRedis('connecting');
      const waiting = waitUntilReady(redis, 5000);
      (redis as unknown as EventEmitter).emit('ready');
      expect(await waiting).to.equal(true);
    });

    it('when the connection never becomes ready, then it resolves false and stops listening', async () => {
      const redis = fakeRedis('connecting');
      expect(await waitUntilReady(redis, 10)).to.equal(false);
      expect((redis as unknown as EventEmitter).listenerCount('ready')).to.equal(0);
    });
  });
});

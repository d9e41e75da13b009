import { asValue } from 'awilix';
import type { Express } from 'express';
import supertest from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { buildContainer, type AppContainer } from '../../src/container';
import { createLogger } from '../../src/infrastructure/logger';
import { waitUntilReady } from '../../src/infrastructure/redis/wait-until-ready';
import { CapturedLogs } from './captured-logs';
import { truncateAllTables } from './database';
import { deleteKeysWithPrefix } from './redis-keys';
import { testEnv } from './env';

/**
 * The real app in-process: real PostgreSQL, Redis and hash pool, configured like production
 * except for the outside services. `reset()` empties the tables and this run's Redis keys.
 */
export interface TestApp {
  readonly container: AppContainer;
  readonly app: Express;
  readonly http: ReturnType<typeof supertest>;
  readonly logs: CapturedLogs;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(
  envOverrides: Record<string, string> = {},
  configure: (container: AppContainer) => void = () => {},
): Promise<TestApp> {
  const config = loadConfig(testEnv(envOverrides));
  const container = buildContainer(config);
  const logs = new CapturedLogs();
  container.register({ logger: asValue(createLogger(container.cradle, [logs])) });
  configure(container);
  await waitUntilReady(container.cradle.redis, 3000);
  const app = createApp(container);

  const reset = async () => {
    await truncateAllTables(container.cradle.db);
    // A test that points the app at a dead Redis has no keys to delete.
    if (container.cradle.redis.status === 'ready') await deleteKeysWithPrefix(container.cradle.redis, config.redis.keyPrefix);
    logs.clear();
  };
  return { container, app, http: supertest(app), logs, reset, close: () => container.dispose() };
}


import path from 'node:path';
import knex, { type Knex } from 'knex';
import { types } from 'pg';
import type { Config } from '../../config';
import type { Logger } from '../logger';
import { ExtensionlessMigrationSource, MIGRATIONS_DIRECTORY, SEEDS_DIRECTORY } from './migration-source';

export function knexConfig(database: Config['database']): Knex.Config {
  return {
    client: 'pg',
    connection: { connectionString: database.url, connectionTimeoutMillis: 3000 },
    pool: { min: 0, max: database.poolMax },
    acquireConnectionTimeout: 5000,
    migrations: {
      migrationSource: new ExtensionlessMigrationSource(MIGRATIONS_DIRECTORY),
      tableName: 'knex_migrations',
    },
    seeds: { directory: SEEDS_DIRECTORY, loadExtensions: [path.extname(__filename)] },
  };
}

export function createKnex({ config, logger }: { config: Config; logger: Logger }): Knex {
  // NUMERIC (prices, amounts) stays a string so no precision is lost on the way; int8 counts
  // (COUNT(*)) fit a JS number for any table this service will hold.
  types.setTypeParser(types.builtins.INT8, (value) => Number(value));
  return knex({
    ...knexConfig(config.database),
    // knex's own logger writes raw text to stdout (console.log), in the middle of the JSON log and
    // without the request id: send what it has to say through ours.
    log: {
      warn: (message: unknown) => logger.warn('knex warning', { detail: message }),
      error: (message: unknown) => logger.error('knex error', { detail: message }),
      deprecate: (message: unknown) => logger.warn('knex deprecation', { detail: message }),
      debug: (message: unknown) => logger.debug('knex debug', { detail: message }),
    },
  });
}

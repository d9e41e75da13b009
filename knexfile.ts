/**
 * For the real knex CLI (`npx knex migrate:latest` ...): the same settings and migration source as
 * the service and `npm run migrate`, so both write one history (names without extension). Loaded
 * from the sources through knexfile.js, or compiled: `npx knex --knexfile dist/knexfile.js ...`.
 */
import type { Knex } from 'knex';
import { useDevelopmentDatabaseOrExit } from './src/cli/dev-database';
import { loadConfigOrExit } from './src/config';
import { knexConfig } from './src/infrastructure/db/knex';
import { MIGRATION_TEMPLATE_FILE, PROJECT_ROOT } from './src/infrastructure/db/migration-source';

// knex moves into the knexfile's folder first; compiled, that is dist/. The project's .env, its
// embedded development database (.data/) and migrate:make's ./migrations are at the root.
process.chdir(PROJECT_ROOT);

/** knex awaits a function export: the development database may have to be started first. */
module.exports = async (): Promise<Knex.Config> => {
  // Started here, it runs until the knex command ends (stopped on exit).
  await useDevelopmentDatabaseOrExit();
  const config = knexConfig(loadConfigOrExit().database);
  // migrate:make: a TypeScript file from our template (in ./migrations, knex's default directory).
  return { ...config, migrations: { ...config.migrations, extension: 'ts', stub: MIGRATION_TEMPLATE_FILE } };
};

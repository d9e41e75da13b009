/**
 * Database migrations and seeds for every environment:
 *   tsx src/cli/migrate.ts <command>        (development, runs migrations/*.ts)
 *   node dist/src/cli/migrate.js <command>  (compiled, runs dist/migrations/*.js)
 * Both record migration names without extension, so they share one history. Without DATABASE_URL
 * in development, the database is the one of `npm run dev` (dev-database.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import knex from 'knex';
import { loadConfigOrExit } from '../config';
import { knexConfig } from '../infrastructure/db/knex';
import { MIGRATION_TEMPLATE_FILE, SOURCE_MIGRATIONS_DIRECTORY } from '../infrastructure/db/migration-source';
import { useDevelopmentDatabaseOrExit } from './dev-database';
import { isDatabaseCommand, runDatabaseCommand } from './migration-commands';

const USAGE = `Usage: migrate <command>
  latest          apply every pending migration
  rollback        undo the last batch
  rollback-all    undo every migration
  status          list applied and pending migrations
  seed            run the seed files
  make <name>     create migrations/<timestamp>_<name>.ts (name: [a-z0-9_]+)`;

/** Why a command could not run: printed as is, without a stack. */
class UsageError extends Error {}

/** UTC YYYYMMDDHHMMSS, the prefix that orders migrations. */
function timestamp(now: Date): string {
  return now.toISOString().replace(/\D/g, '').slice(0, 14);
}

function makeMigration(name: string | undefined): void {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    throw new UsageError('make needs a name of lower-case letters, digits and underscores, e.g. add_plan_discount');
  }
  // New migrations belong to the sources, also when this runs from dist/ (dist/migrations is build output).
  const file = path.join(SOURCE_MIGRATIONS_DIRECTORY, `${timestamp(new Date())}_${name}.ts`);
  if (existsSync(file)) throw new UsageError(`${path.relative(process.cwd(), file)} already exists`);
  // The same template as `npx knex migrate:make` (knexfile.ts names it as the stub).
  writeFileSync(file, readFileSync(MIGRATION_TEMPLATE_FILE), { flag: 'wx' });
  console.log(`Created ${path.relative(process.cwd(), file)}`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    if (!command) process.exitCode = 1;
    return;
  }
  // make only writes a file: no configuration or database needed.
  if (command === 'make') return makeMigration(args[0]);
  if (!isDatabaseCommand(command)) throw new UsageError(`Unknown command "${command}".\n${USAGE}`);
  if (args.length > 0) throw new UsageError(`${command} takes no arguments.\n${USAGE}`);

  const devDatabase = await useDevelopmentDatabaseOrExit();
  try {
    const db = knex(knexConfig(loadConfigOrExit().database));
    try {
      await runDatabaseCommand(db, command);
    } finally {
      await db.destroy();
    }
  } finally {
    await devDatabase?.stop();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // A human reads this: the message is enough for usage errors; anything else keeps its stack.
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
});

import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Knex } from 'knex';

/**
 * require, not import(): the real knex CLI reads knexfile.ts through knexfile.js, which registers
 * tsx's CommonJS hook only, and there import() of a .ts file fails; require loads .ts under tsx and
 * compiled .js under plain node alike.
 */
const loadModule = createRequire(__filename);

/**
 * Lists migrations by name without their extension, so the history written by `.ts` runs in
 * development and by compiled `.js` runs in production is one and the same.
 */
export class ExtensionlessMigrationSource implements Knex.MigrationSource<string> {
  private readonly extension = path.extname(__filename);

  constructor(private readonly directory: string) {}

  async getMigrations(): Promise<string[]> {
    return readdirSync(this.directory)
      .filter((file) => file.endsWith(this.extension) && !file.endsWith(`.d${this.extension}`))
      .map((file) => file.slice(0, -this.extension.length))
      .sort();
  }

  getMigrationName(migration: string): string {
    return migration;
  }

  async getMigration(migration: string): Promise<Knex.Migration> {
    return loadModule(path.join(this.directory, migration + this.extension)) as Knex.Migration;
  }
}

/** migrations/ sits at the same depth from src/ whether we run from sources or from dist/. */
export const MIGRATIONS_DIRECTORY = path.resolve(__dirname, '../../../migrations');
export const SEEDS_DIRECTORY = path.resolve(__dirname, '../../../seeds');

/** The project root: one level further up when this runs compiled (dist/src/..., build-test/src/...). */
export const PROJECT_ROOT = path.resolve(__dirname, path.extname(__filename) === '.js' ? '../../../..' : '../../..');
/** Where new migrations are written, from sources or from dist/ alike (dist/migrations is build output). */
export const SOURCE_MIGRATIONS_DIRECTORY = path.join(PROJECT_ROOT, 'migrations');
/** The file every new migration starts as (`npm run migrate:make` and `npx knex migrate:make`). */
export const MIGRATION_TEMPLATE_FILE = path.join(PROJECT_ROOT, 'src', 'infrastructure', 'db', 'migration.stub');

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';

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
    return (await import(path.join(this.directory, migration + this.extension))) as Knex.Migration;
  }
}

/** migrations/ sits at the same depth from src/ whether we run from sources or from dist/. */
export const MIGRATIONS_DIRECTORY = path.resolve(__dirname, '../../../migrations');
export const SEEDS_DIRECTORY = path.resolve(__dirname, '../../../seeds');

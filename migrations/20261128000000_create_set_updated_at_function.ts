import type { Knex } from 'knex';

/**
 * One trigger function shared by every table with `updated_at`: whatever code path edits a
 * row (repository, CLI, psql by hand), the column moves, so it can be trusted in listings.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END
    $$
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION set_updated_at()');
}

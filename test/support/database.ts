import knex, { type Knex } from 'knex';
import { Client } from 'pg';
import { knexConfig } from '../../src/infrastructure/db/knex';

/** The throwaway database the integration tests own; set TEST_DATABASE_NAME to run suites side by side. */
export const TEST_DATABASE_NAME = process.env.TEST_DATABASE_NAME ?? 'cybervpn_test';

/** A maintenance database on the same server, used only to drop and create the test database. */
function adminDatabaseUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function testDatabaseUrl(name = TEST_DATABASE_NAME): string {
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the test database (closing whatever is still connected), creates it and migrates it to latest. */
export async function recreateTestDatabase(name = TEST_DATABASE_NAME): Promise<void> {
  await dropTestDatabase(name, { andCreate: true });
  const db = knex(knexConfig({ url: testDatabaseUrl(name), poolMax: 2 }));
  try {
    await db.migrate.latest();
  } finally {
    await db.destroy();
  }
}

/** Drops a test database (closing whatever is still connected), and creates it afresh if asked. */
export async function dropTestDatabase(name: string, { andCreate = false } = {}): Promise<void> {
  // The name goes into DDL, where no bind parameter is possible: accept plain names only.
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`test database names must match [A-Za-z0-9_]+, got "${name}"`);
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    const identifier = admin.escapeIdentifier(name);
    await admin.query(`DROP DATABASE IF EXISTS ${identifier} WITH (FORCE)`);
    if (andCreate) await admin.query(`CREATE DATABASE ${identifier}`);
  } finally {
    await admin.end();
  }
}

/**
 * The tables to empty, read once per knex instance: the schema does not change while tests
 * run. (A test that migrates or rolls back must use a knex instance of its own.)
 */
const tablesByKnex = new WeakMap<Knex, Promise<string[]>>();

async function listTables(db: Knex): Promise<string[]> {
  const rows = (await db('information_schema.tables')
    .select('table_name')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' })
    .andWhereRaw("table_name NOT LIKE 'knex\\_migrations%'")
    .orderBy('table_name')) as Array<{ table_name: string }>;
  return rows.map((row) => row.table_name);
}

/** Empties every table of the public schema except the migration history, in one statement. */
export async function truncateAllTables(db: Knex): Promise<void> {
  let tables = tablesByKnex.get(db);
  if (!tables) {
    tables = listTables(db);
    tablesByKnex.set(db, tables);
    // A failed lookup (database not ready yet) must not stay cached.
    tables.catch(() => tablesByKnex.delete(db));
  }
  const names = await tables;
  if (names.length === 0) return;
  await db.raw(
    `TRUNCATE TABLE ${names.map(() => '??').join(', ')} RESTART IDENTITY CASCADE`,
    names.map((name) => `public.${name}`),
  );
}

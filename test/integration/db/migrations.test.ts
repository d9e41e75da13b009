import { expect } from 'chai';
import knex, { type Knex } from 'knex';
import { knexConfig } from '../../../src/infrastructure/db/knex';
import { TEST_DATABASE_NAME, dropTestDatabase, recreateTestDatabase, testDatabaseUrl } from '../../support/database';

// A database of its own: rolling back under the shared one would pull the floor from other suites.
const ROUND_TRIP_DATABASE = `${TEST_DATABASE_NAME}_migrations`;

/** Everything our migrations create in the public schema, in a stable order, as text. */
async function schemaSnapshot(db: Knex): Promise<Record<string, unknown[]>> {
  const ours = "NOT LIKE 'knex\\_migrations%'";
  const [columns, indexes, constraints, triggers, functions] = await Promise.all([
    db.raw(`
      SELECT table_name, column_name,
             -- The order, not attnum: PostgreSQL never reuses the number of a dropped column,
             -- so a column dropped by a down and added again by an up gets a higher one.
             row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position) AS position,
             data_type, udt_name, is_nullable, column_default,
             character_maximum_length, numeric_precision, numeric_scale
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name ${ours}
      ORDER BY table_name, ordinal_position`),
    db.raw(`
      SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename ${ours}
      ORDER BY tablename, indexname`),
    db.raw(`
      SELECT c.conrelid::regclass::text AS table_name, c.conname, pg_get_constraintdef(c.oid) AS definition
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE n.nspname = 'public' AND c.conrelid::regclass::text ${ours}
      ORDER BY 1, 2`),
    db.raw(`
      SELECT t.tgrelid::regclass::text AS table_name, t.tgname, pg_get_triggerdef(t.oid) AS definition
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND NOT t.tgisinternal
      ORDER BY 1, 2`),
    db.raw(`
      SELECT p.proname, pg_get_functiondef(p.oid) AS definition
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public'
      ORDER BY 1`),
  ]);
  return {
    columns: columns.rows,
    indexes: indexes.rows,
    constraints: constraints.rows,
    triggers: triggers.rows,
    functions: functions.rows,
  };
}

async function ourTables(db: Knex): Promise<string[]> {
  const rows = (await db('information_schema.tables')
    .where({ table_schema: 'public' })
    .andWhereRaw("table_name NOT LIKE 'knex\\_migrations%'")
    .pluck('table_name')) as string[];
  return rows;
}

describe('database migrations', function () {
  this.timeout(60_000);
  let db: Knex;

  before(async () => {
    await recreateTestDatabase(ROUND_TRIP_DATABASE);
    db = knex(knexConfig({ url: testDatabaseUrl(ROUND_TRIP_DATABASE), poolMax: 2 }));
  });

  after(async () => {
    await db.destroy();
    await dropTestDatabase(ROUND_TRIP_DATABASE);
  });

  it('when the database is migrated to latest, then no migration is pending and every table exists', async () => {
    const [completed, pending] = (await db.migrate.list()) as [Array<{ name: string }>, string[]];
    expect(pending).to.deep.equal([]);
    expect(completed).to.have.length.greaterThan(0);
    // Recorded without extension: the history is shared by .ts (tsx) and .js (dist) runs.
    for (const { name } of completed) expect(name).to.match(/^\d{14}_[a-z0-9_]+$/);
    expect(await ourTables(db)).to.have.members([
      'admin_users',
      'refresh_tokens',
      'admin_invites',
      'subscription_plans',
      'payments',
      'audit_logs',
      'webhook_logs',
      'oauth_accounts',
      'notification_queue',
      'server_geolocations',
      'api_keys',
      'outgoing_webhooks',
      'outgoing_webhook_deliveries',
      'payment_idempotency_keys',
      'broadcasts',
    ]);
  });

  it('when every migration is rolled back, then no table, trigger or function of ours remains', async () => {
    await db.migrate.latest();
    await db.migrate.rollback(undefined, true);

    expect(await ourTables(db)).to.deep.equal([]);
    const snapshot = await schemaSnapshot(db);
    for (const [kind, rows] of Object.entries(snapshot)) expect(rows, kind).to.deep.equal([]);
    const [completed] = (await db.migrate.list()) as [unknown[], string[]];
    expect(completed).to.deep.equal([]);
  });

  it('when everything is rolled back and migrated again, then the schema is exactly the same', async () => {
    await db.migrate.latest();
    const before = await schemaSnapshot(db);
    expect(before.columns).to.not.be.empty;

    await db.migrate.rollback(undefined, true);
    await db.migrate.latest();

    expect(await schemaSnapshot(db)).to.deep.equal(before);
  });

  it('when each migration is applied and undone one at a time, then its down restores the schema it started from', async () => {
    await db.migrate.rollback(undefined, true);
    const [, pending] = (await db.migrate.list()) as [unknown[], string[]];
    expect(pending).to.have.length.greaterThan(0);

    for (const name of pending) {
      const beforeUp = await schemaSnapshot(db);
      await db.migrate.up();
      const afterUp = await schemaSnapshot(db);
      expect(afterUp, `${name} changes nothing`).to.not.deep.equal(beforeUp);

      await db.migrate.down();
      expect(await schemaSnapshot(db), `${name} down`).to.deep.equal(beforeUp);

      await db.migrate.up();
      expect(await schemaSnapshot(db), `${name} up again`).to.deep.equal(afterUp);
    }
  });
});

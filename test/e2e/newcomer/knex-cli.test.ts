import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import knex, { type Knex } from 'knex';
import { knexConfig } from '../../../src/infrastructure/db/knex';
import { dropTestDatabase, TEST_DATABASE_NAME, testDatabaseUrl } from '../../support/database';
import { testEnv } from '../../support/env';
import { COMPILED_ROOT, REPO_ROOT, runNode, tsxArgs, type Outcome } from './project-process';

/** What `npx knex` runs: node_modules/.bin/knex is this file. */
const KNEX_BIN = path.join(REPO_ROOT, 'node_modules', 'knex', 'bin', 'cli.js');
const SOURCE_MIGRATIONS = readdirSync(path.join(REPO_ROOT, 'migrations'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

describe('the real knex CLI on knexfile.ts and the compiled knexfile (child processes)', function () {
  this.timeout(180_000);
  const database = `${TEST_DATABASE_NAME}_knex_cli`;
  const env = testEnv({ DATABASE_URL: testDatabaseUrl(database) });
  let db: Knex;

  before(async () => {
    await dropTestDatabase(database, { andCreate: true });
    db = knex(knexConfig({ url: testDatabaseUrl(database), poolMax: 1 }));
  });
  after(async () => {
    await db.destroy();
    await dropTestDatabase(database);
  });

  /** `npx knex <args>` from the project root, as typed. */
  const npxKnex = (...args: string[]): Promise<Outcome> => runNode([KNEX_BIN, ...args], { cwd: REPO_ROOT, env });
  const recorded = async () => ((await db('knex_migrations').select('name').orderBy('name')) as Array<{ name: string }>).map((row) => row.name);
  const ok = (outcome: Outcome) => expect(outcome.code, `${outcome.stdout}\n${outcome.stderr}`).to.equal(0);

  it('when latest, list, rollback --all, latest and seed:run are typed, then each works and writes the history npm run migrate reads', async () => {
    const latest = await npxKnex('migrate:latest');
    ok(latest);
    expect(latest.stdout).to.include(`Batch 1 run: ${SOURCE_MIGRATIONS.length} migrations`);
    expect(await recorded(), 'names without extension').to.deep.equal(SOURCE_MIGRATIONS);

    const list = await npxKnex('migrate:list');
    ok(list);
    expect(list.stdout).to.match(new RegExp(`Found ${SOURCE_MIGRATIONS.length} Completed Migration`)).and.include('No Pending Migration files Found.');

    // npm run migrate:status reads the same history: nothing pending.
    const status = await runNode([...tsxArgs('src/cli/migrate.ts'), 'status'], { cwd: REPO_ROOT, env });
    ok(status);
    expect(status.stdout).to.include(`Applied (${SOURCE_MIGRATIONS.length})`).and.include('Pending (0)');

    const rollback = await npxKnex('migrate:rollback', '--all');
    ok(rollback);
    expect(await recorded()).to.deep.equal([]);
    expect(await db.schema.hasTable('admin_users')).to.equal(false);

    ok(await npxKnex('migrate:latest'));
    expect(await recorded()).to.deep.equal(SOURCE_MIGRATIONS);

    const seed = await npxKnex('seed:run');
    ok(seed);
    expect(Number((await db('subscription_plans').count({ n: '*' }).first())?.n)).to.be.greaterThan(0);
  });

  it('when migrate:make is typed, then it writes migrations/<timestamp>_<name>.ts from our template, like npm run migrate:make', async () => {
    const name = `zz_knex_cli_probe_${process.pid}`;
    const made = await npxKnex('migrate:make', name);
    const created = readdirSync(path.join(REPO_ROOT, 'migrations')).filter((file) => file.includes(name));
    try {
      ok(made);
      expect(created).to.have.length(1);
      expect(created[0]).to.match(new RegExp(`^\\d{14}_${name}\\.ts$`));
      const template = readFileSync(path.join(REPO_ROOT, 'src', 'infrastructure', 'db', 'migration.stub'), 'utf8');
      expect(readFileSync(path.join(REPO_ROOT, 'migrations', created[0]!), 'utf8')).to.equal(template);
    } finally {
      for (const file of created) rmSync(path.join(REPO_ROOT, 'migrations', file));
    }
  });

  it('when the compiled knexfile is named (dist/knexfile.js, here the same build in build-test/), then it reads the same history and migrates', async function () {
    if (!COMPILED_ROOT) this.skip(); // needs the compiled tree: runs under npm test
    const compiledKnexfile = path.join(COMPILED_ROOT, 'knexfile.js');
    expect(existsSync(compiledKnexfile)).to.equal(true);
    const compiled = (...args: string[]) => runNode([KNEX_BIN, '--knexfile', compiledKnexfile, ...args], { cwd: REPO_ROOT, env });

    ok(await npxKnex('migrate:latest'));
    const list = await compiled('migrate:list');
    ok(list);
    expect(list.stdout).to.include('No Pending Migration files Found.');

    ok(await compiled('migrate:rollback'));
    expect(await recorded()).to.deep.equal([]);
    ok(await compiled('migrate:latest'));
    expect(await recorded()).to.deep.equal(SOURCE_MIGRATIONS);
    ok(await compiled('seed:run'));
  });
});

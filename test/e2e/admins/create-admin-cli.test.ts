import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import knex from 'knex';
import { knexConfig } from '../../../src/infrastructure/db/knex';
import { dropTestDatabase, TEST_DATABASE_NAME, testDatabaseUrl } from '../../support/database';
import { testEnv } from '../../support/env';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

/** The CLI beside the sources under tsx, or beside the compiled tests in build-test/. */
const compiled = path.extname(__filename) === '.js';
const CLI = path.resolve(__dirname, '../../../src/cli', `create-admin${path.extname(__filename)}`);
const NODE_ARGS = compiled ? [CLI] : ['--import', pathToFileURL(require.resolve('tsx')).href, CLI];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('admins: npm run admin:create', function () {
  this.timeout(60_000);
  let t: TestApp;
  let cwd: string;

  before(async () => {
    t = await createTestApp();
    // No .env of a developer's checkout can leak in: the child runs in an empty directory.
    cwd = mkdtempSync(path.join(tmpdir(), 'admin-create-'));
  });
  after(async () => {
    rmSync(cwd, { recursive: true, force: true });
    await t.close();
  });
  beforeEach(() => t.reset());

  function run(args: string[], stdin: string, overrides: Record<string, string> = {}): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd, env: { ...testEnv(overrides), LOG_LEVEL: 'error' }, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  it('when given a login and a password on stdin, then it creates a super_admin who can log in, and prints its id', async () => {
    const outcome = await run(['--login', 'first_boss', '--email', 'boss@example.test', '--password-stdin'], 'Very-secret-77\n');
    expect(outcome.code, outcome.stderr).to.equal(0);
    const id = outcome.stdout.trim();
    expect(id).to.match(/^[0-9a-f-]{36}$/);

    const row = await t.container.cradle.db('admin_users').where({ id }).first();
    expect(row).to.include({ login: 'first_boss', email: 'boss@example.test', role: 'super_admin', is_active: true });
    expect(row.password_hash).to.match(/^\$2[aby]\$10\$/);
    const audit = await t.container.cradle.db('audit_logs').where({ action: 'admin.created', entity_id: id }).first();
    expect(audit).to.include({ admin_id: null, ip: 'cli', user_agent: 'admin:create' });
    expect(JSON.stringify(audit)).to.not.include('password');

    const login = await t.http.post('/api/v1/auth/login').send({ login_or_email: 'first_boss', password: 'Very-secret-77' });
    expect(login.status).to.equal(200);
    const admins = await t.http.get('/api/v1/admins').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(admins.status).to.equal(200);
  });

  it('when --role names another role, then the account gets it', async () => {
    const outcome = await run(['--login', 'helper', '--role', 'support', '--password-stdin'], 'Helper-pass-1');
    expect(outcome.code, outcome.stderr).to.equal(0);
    expect(await t.container.cradle.db('admin_users').where({ login: 'helper' }).first()).to.include({ role: 'support' });
  });

  it('when the login already exists, then it exits non-zero saying so and creates nothing', async () => {
    await createAdmin(t.container, { login: 'taken' });
    const outcome = await run(['--login', 'TAKEN', '--password-stdin'], 'Another-pass-2\n');
    expect(outcome.code).to.equal(1);
    expect(outcome.stderr.trim()).to.equal('Login already exists');
    expect(await t.container.cradle.db('admin_users')).to.have.length(1);
  });

  it('when the password breaks the policy, then it exits non-zero naming the rule and never echoing the password', async () => {
    for (const [password, rule] of [
      ['short1', 'at least 8 bytes'],
      ['onlyletters', 'a letter and a digit'],
      [`a1${'x'.repeat(71)}`, 'at most 72 bytes'],
    ] as const) {
      const outcome = await run(['--login', 'weak_one', '--password-stdin'], `${password}\n`);
      expect(outcome.code, password).to.equal(1);
      expect(outcome.stderr).to.include(rule);
      expect(outcome.stderr + outcome.stdout).to.not.include(password);
    }
    expect(await t.container.cradle.db('admin_users')).to.have.length(0);
  });

  it('when the login, email or role is invalid, then it exits non-zero before reading a password', async () => {
    for (const args of [['--login', 'no spaces'], ['--login', 'okay', '--email', 'not-an-email'], ['--login', 'okay', '--role', 'root'], []]) {
      const outcome = await run([...args, '--password-stdin'], 'Good-pass-123\n');
      expect(outcome.code, args.join(' ')).to.equal(1);
      expect(outcome.stderr, args.join(' ')).to.not.equal('');
    }
    expect(await t.container.cradle.db('admin_users')).to.have.length(0);
  });

  it('when a password is offered as a flag, then the flag is refused and points at the safe ways', async () => {
    const outcome = await run(['--login', 'flagged', '--password', 'Good-pass-123'], '');
    expect(outcome.code).to.equal(1);
    expect(outcome.stderr).to.include('--password-stdin');
    expect(outcome.stderr).to.not.include('Good-pass-123');
    expect(await t.container.cradle.db('admin_users')).to.have.length(0);
  });

  it('when there is no terminal and no --password-stdin, then it refuses instead of reading a password from a pipe', async () => {
    const outcome = await run(['--login', 'piped'], 'Good-pass-123\n');
    expect(outcome.code).to.equal(1);
    expect(outcome.stderr).to.include('--password-stdin');
  });

  it('when DATABASE_URL names a database without the schema, then it says to migrate and changes nothing', async () => {
    const name = `${TEST_DATABASE_NAME}_unmigrated`;
    await dropTestDatabase(name, { andCreate: true });
    try {
      const outcome = await run(['--login', 'too_early', '--password-stdin'], 'Passw0rd-early\n', { DATABASE_URL: testDatabaseUrl(name) });
      expect(outcome.code).to.equal(1);
      expect(outcome.stderr.trim()).to.match(/^The database lacks \d+ migration\(s\): run npm run migrate/);
      const db = knex(knexConfig({ url: testDatabaseUrl(name), poolMax: 1 }));
      try {
        const [, pending] = (await db.migrate.list()) as [unknown[], string[]];
        expect(pending.length, 'nothing was migrated behind the operator\'s back').to.be.greaterThan(0);
      } finally {
        await db.destroy();
      }
    } finally {
      await dropTestDatabase(name);
    }
  });
});

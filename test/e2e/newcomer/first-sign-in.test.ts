import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { testEnv } from '../../support/env';
import { connectionRefused, freePort } from '../api-process';
import { runNode, startNode, tsxArgs, type Outcome } from './project-process';

/**
 * README's quick start, as a newcomer runs it: nothing set by hand, no DATABASE_URL, so `npm run
 * dev` and the CLIs share the embedded PostgreSQL in .data/postgres of the project.
 */
describe('newcomer: from an empty project to a first sign-in, without DATABASE_URL (child processes)', function () {
  this.timeout(180_000);
  let project: string;
  let env: NodeJS.ProcessEnv;
  let apiPort: number;
  let postgresPort: number;

  before(async () => {
    project = mkdtempSync(path.join(tmpdir(), 'cybervpn-newcomer-'));
    // mkdtemp makes it 0700: a clone anyone may enter (closed-folder.test.ts covers the other kind).
    chmodSync(project, 0o755);
    apiPort = await freePort();
    postgresPort = await freePort();
    const { DATABASE_URL: _none, ...rest } = testEnv({ NODE_ENV: 'development', PORT: String(apiPort), LOG_LEVEL: 'warn' });
    env = { ...rest, DEV_POSTGRES_PORT: String(postgresPort) };
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  const cli = (entry: string, args: string[], stdin?: string): Promise<Outcome> => runNode([...tsxArgs(entry), ...args], { cwd: project, env, stdin });
  const createAdmin = (login: string) => cli('src/cli/create-admin.ts', ['--login', login, '--password-stdin'], 'Newcomer-pass-1\n');
  const login = (name: string) =>
    fetch(`http://127.0.0.1:${apiPort}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login_or_email: name, password: 'Newcomer-pass-1' }),
    });

  it('when dev runs, admin:create uses its database and the admin signs in; when dev is stopped, the CLI starts that same database for its run', async () => {
    const dev = startNode(tsxArgs('scripts/dev.ts'), { cwd: project, env });
    try {
      await waitForApi(apiPort, dev.output);
      expect(existsSync(path.join(project, '.data', 'postgres', 'PG_VERSION')), 'dev created the embedded cluster').to.equal(true);
      const created = await createAdmin('first_boss');
      expect(created.code, created.stderr).to.equal(0);
      expect(created.stdout.trim()).to.match(/^[0-9a-f-]{36}$/);
      expect(created.stderr, 'used the running server').not.to.include('embedded PostgreSQL started');

      const res = await login('first_boss');
      expect(res.status).to.equal(200);
      expect(((await res.json()) as { access_token?: string }).access_token).to.be.a('string');
    } finally {
      dev.child.kill('SIGTERM');
    }
    const stopped = await dev.done;
    expect(stopped.code, dev.output()).to.equal(0);
    expect(await connectionRefused(postgresPort), 'dev stopped its PostgreSQL').to.equal(true);

    // Dev stopped: the CLI starts the same cluster (it knows first_boss) and stops it again.
    const again = await createAdmin('first_boss');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('embedded PostgreSQL started').and.include('Login already exists');
    expect(await connectionRefused(postgresPort), 'the CLI stopped what it started').to.equal(true);
  });

  it('when admin:create is the very first command of a project, then it creates and migrates the development database and the account', async () => {
    const fresh = mkdtempSync(path.join(tmpdir(), 'cybervpn-newcomer-first-'));
    chmodSync(fresh, 0o755);
    try {
      const created = await runNode([...tsxArgs('src/cli/create-admin.ts'), '--login', 'day_one', '--password-stdin'], { cwd: fresh, env, stdin: 'Newcomer-pass-1\n' });
      expect(created.code, created.stderr).to.equal(0);
      expect(created.stdout.trim()).to.match(/^[0-9a-f-]{36}$/);
      expect(created.stderr).to.match(/Migrated the development database \(\d+ migration\(s\)\)/);
      const again = await runNode([...tsxArgs('src/cli/migrate.ts'), 'status'], { cwd: fresh, env });
      expect(again.stdout).to.include('Pending (0)');
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

/** Polls /health until the API answers: dev has migrated, seeded and started it. */
async function waitForApi(port: number, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    try {
      await fetch(`http://127.0.0.1:${port}/health`);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`npm run dev never served.\n${output()}`);
}

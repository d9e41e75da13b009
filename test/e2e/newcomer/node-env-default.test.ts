import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { expect } from 'chai';
import { TEST_REDIS_PREFIX } from '../../support/env';
import { testDatabaseUrl } from '../../support/database';
import { freePort, startApiProcess, waitForHealth } from '../api-process';
import { COMPILED, COMPILED_ROOT, REPO_ROOT, runNode } from './project-process';

/**
 * NODE_ENV unset: the compiled entry points (`npm start` = node dist/src/server.js, migrate:dist)
 * take the production rules; TypeScript through tsx (npm run dev, the CLIs) is development.
 * The compiled cases need the compiled tree, which exists under npm test only; src/server.ts
 * through tsx runs in both.
 */
describe('NODE_ENV left unset (child processes)', function () {
  this.timeout(60_000);
  // .env.example as a user copies it (it leaves NODE_ENV unset), pointed at the test services.
  const example = (): NodeJS.ProcessEnv => {
    const env = parseEnv(readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8')) as NodeJS.ProcessEnv;
    expect(env.NODE_ENV, '.env.example leaves NODE_ENV to the entry point').to.equal(undefined);
    return { ...env, DATABASE_URL: testDatabaseUrl(), REDIS_KEY_PREFIX: TEST_REDIS_PREFIX, LOG_LEVEL: 'warn' };
  };

  it('when the compiled server (npm start) runs on .env.example values, then production refuses its placeholders', async function () {
    if (!COMPILED) this.skip(); // the compiled server exists under npm test
    const api = startApiProcess(example());
    expect(await api.exited).to.equal(1);
    expect(api.stderr()).to.match(/^Invalid configuration: .*JWT_SECRET \(placeholder value\)/m);
  });

  it('when the compiled migrate CLI (migrate:dist) runs without DATABASE_URL, then it asks for one instead of starting a development database', async function () {
    if (!COMPILED_ROOT) this.skip();
    const { DATABASE_URL: _none, ...env } = example();
    const outcome = await runNode([path.join(COMPILED_ROOT, 'src', 'cli', 'migrate.js'), 'status'], { cwd: REPO_ROOT, env });
    expect(outcome.code).to.equal(1);
    // Under development rules it would have started the embedded PostgreSQL instead (first-sign-in.test.ts).
    expect(outcome.stderr).to.include('DATABASE_URL (missing)').and.not.include('embedded PostgreSQL');
  });

  it('when src/server.ts runs through tsx on .env.example values, then it is development and starts', async () => {
    const port = await freePort();
    const api = startApiProcess({ ...example(), PORT: String(port) }, {}, { source: true });
    try {
      await waitForHealth(port, api);
      expect((await fetch(`http://127.0.0.1:${port}/docs/`)).status, 'docs are on outside production').to.equal(200);
    } finally {
      api.child.kill('SIGTERM');
    }
    expect(await api.exited).to.equal(0);
  });
});

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { freePort, startEntryProcess, waitForHealth } from '../api-process';
import { testEnv } from '../../support/env';
import { eventually } from '../../support/webhooks';
import { FAST_WORKER_ENV, stopWorker, waitForLog } from '../webhooks/worker-process';
import { entryOf, loadManifest, repoRoot } from './manifest';

/** Worker kinds in the tree: every workers/*.ts but the hash pool's thread and the all-in-one process. */
const workerKinds = () =>
  readdirSync(path.join(repoRoot(), 'workers'))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.worker.ts') && file !== 'all.ts')
    .map((file) => file.replace(/\.ts$/, ''))
    .sort();

describe('the process manifest (ecosystem.config.js) and npm run start:workers', function () {
  this.timeout(120_000);

  it('when PM2 loads the manifest, then it lists the API and one app per worker kind, two instances each, from dist', () => {
    const apps = loadManifest();
    expect(apps.map((app) => app.name)).to.have.members(['api', ...workerKinds().map((kind) => `worker-${kind}`)]);
    expect(apps).to.have.length(workerKinds().length + 1);
    for (const app of apps) {
      expect(app.instances, app.name).to.equal(2);
      expect(app.exec_mode, app.name).to.equal('fork');
      expect(app.script, app.name).to.match(/^dist\/.+\.js$/);
      expect(app.cwd, app.name).to.equal(repoRoot());
      expect(app.env.NODE_ENV, app.name).to.equal('production');
    }
  });

  it('when the manifest names a script, then it is the build of an entry point in the tree', () => {
    for (const app of loadManifest()) {
      const source = path.join(repoRoot(), `${entryOf(app)}.ts`);
      expect(readdirSync(path.dirname(source)), app.name).to.include(path.basename(source));
    }
  });

  it('when FLEET_API_INSTANCES and FLEET_WEBHOOKS_WORKERS are set, then those are the instance counts', () => {
    const apps = loadManifest({ FLEET_API_INSTANCES: '4', FLEET_WEBHOOKS_WORKERS: '3' });
    expect(apps.find((app) => app.name === 'api')!.instances).to.equal(4);
    expect(apps.find((app) => app.name === 'worker-webhooks')!.instances).to.equal(3);
  });

  it('when instances of one app run side by side, then each gets its own port and no two apps share a base port', () => {
    const apps = loadManifest();
    expect(apps.find((app) => app.name === 'api')!.increment_var).to.equal('PORT');
    for (const app of apps.filter((candidate) => candidate.name.startsWith('worker-'))) expect(app.increment_var, app.name).to.equal('WORKER_HEALTH_PORT');
    const bases = apps.map((app) => Number(app.env[app.increment_var]));
    expect(new Set(bases).size).to.equal(apps.length);
    // Instances take base, base + 1, ...: the ranges must not overlap either.
    const taken = apps.flatMap((app) => Array.from({ length: app.instances }, (_, index) => Number(app.env[app.increment_var]) + index));
    expect(new Set(taken).size).to.equal(taken.length);
  });

  it('when PM2 stops a process, then it waits longer than the drain (SHUTDOWN_TIMEOUT 10s, a job lock 30s) before SIGKILL', () => {
    const apps = loadManifest();
    expect(apps.find((app) => app.name === 'api')!.kill_timeout).to.be.greaterThan(10_000);
    for (const app of apps.filter((candidate) => candidate.name.startsWith('worker-'))) expect(app.kill_timeout, app.name).to.be.greaterThan(30_000);
  });

  it('when the all-in-one worker process (start:workers) runs, then it answers ready once its queue workers run; SIGTERM exits 0', async () => {
    const healthPort = await freePort();
    const worker = startEntryProcess('workers/all', testEnv({ ...FAST_WORKER_ENV, WORKER_HEALTH_PORT: String(healthPort) }));
    const started = await waitForLog(worker, 'worker started');
    expect(started.worker).to.equal('all');
    await waitForHealth(healthPort, worker);
    const ready = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${healthPort}/ready`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      },
      (answer) => answer.status === 200,
      { what: 'the worker to be ready' },
    );
    expect(ready.body).to.deep.include({ status: 'ready', workers: 'running' });
    expect(await stopWorker(worker)).to.equal(0);
  });
});

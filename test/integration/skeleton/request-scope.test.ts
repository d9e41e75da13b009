import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { asFunction, asValue } from 'awilix';
import { expect } from 'chai';
import type { PlanService } from '../../../src/modules/plans/plans.service';
import type { RequestContext } from '../../../src/shared/request-context';
import { createTestApp, type TestApp } from '../../support/test-app';

/** A scoped registration whose disposal the test can observe. */
interface Probe {
  readonly serial: number;
  readonly requestId: string;
}

describe('request scope', function () {
  this.timeout(30_000);
  let testApp: TestApp;
  let serial = 0;
  const disposed: Probe[] = [];
  let onDispose: (probe: Probe) => void = () => {};
  /** What the fake service saw, per request id. */
  const seen = new Map<string, { context: RequestContext; probe: Probe; sameProbeTwice: boolean }>();
  /** When set, the service waits for it before answering (an in-flight request). */
  let gate: Promise<void> | undefined;
  let entered: () => void = () => {};

  before(async () => {
    testApp = await createTestApp({ LOG_LEVEL: 'http' }, (container) => {
      container.register({
        probe: asFunction(({ requestContext }: { requestContext: RequestContext }): Probe => ({
          serial: ++serial,
          requestId: requestContext.requestId,
        }))
          .scoped()
          .disposer((probe: Probe) => {
            disposed.push(probe);
            onDispose(probe);
          }),
        planService: asFunction(
          ({ requestContext, probe }: { requestContext: RequestContext; probe: Probe }) =>
            ({
              listActive: async () => {
                entered();
                if (gate) await gate;
                seen.set(requestContext.requestId, { context: requestContext, probe, sameProbeTwice: false });
                return { items: [], total: 0, page: 1, page_size: 20 };
              },
            }) as unknown as PlanService,
        ).scoped(),
      } as never);
    });
  });
  after(() => testApp.close());
  beforeEach(() => {
    seen.clear();
    disposed.length = 0;
    gate = undefined;
  });

  it('when two requests run, then each gets its own requestContext and its own scoped instances', async () => {
    await Promise.all([
      testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-scope-000001').set('User-Agent', 'agent-one'),
      testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-scope-000002').set('User-Agent', 'agent-two'),
    ]);
    const one = seen.get('req-scope-000001')!;
    const two = seen.get('req-scope-000002')!;
    expect(one.context).to.include({ requestId: 'req-scope-000001', userAgent: 'agent-one' });
    expect(two.context).to.include({ requestId: 'req-scope-000002', userAgent: 'agent-two' });
    expect(one.context.ip).to.be.a('string').and.not.equal('unknown');
    expect(one.probe.requestId).to.equal('req-scope-000001');
    expect(two.probe.requestId).to.equal('req-scope-000002');
    expect(one.probe.serial).not.to.equal(two.probe.serial);
  });

  it('when a request scope resolves a scoped registration twice, then it is one instance', () => {
    const scope = testApp.container.createScope();
    scope.register({ requestContext: asValue({ requestId: 'req-manual-0001', ip: '::1', userAgent: undefined }) });
    const resolve = (name: string) => scope.resolve(name as never) as unknown;
    expect(resolve('probe')).to.equal(resolve('probe'));
    return scope.dispose();
  });

  it('when the response is sent, then the scope is disposed and its disposers run', async () => {
    const disposedNow = new Promise<Probe>((resolve) => {
      onDispose = resolve;
    });
    const res = await testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-dispose-0001');
    expect(res.status).to.equal(200);
    const probe = await disposedNow;
    expect(probe.requestId).to.equal('req-dispose-0001');
    expect(probe).to.equal(seen.get('req-dispose-0001')!.probe);
  });

  it('when the client goes away before the answer, then the scope is disposed all the same', async () => {
    let release: () => void = () => {};
    gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inService = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const disposedNow = new Promise<Probe>((resolve) => {
      onDispose = resolve;
    });
    const server = http.createServer(testApp.app).listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      const req = http.get({ port, host: '127.0.0.1', path: '/api/v1/plans', headers: { 'X-Request-ID': 'req-aborted-0001' } });
      req.on('error', () => {});
      await inService;
      req.destroy();
      const probe = await disposedNow;
      expect(probe.requestId).to.equal('req-aborted-0001');
      // One access line per request, the abandoned ones included (499: client closed request).
      const line = testApp.logs.withRequestId('req-aborted-0001').find((entry) => entry.message === 'request');
      expect(line).to.include({ method: 'GET', route: '/api/v1/plans', status: 499 });
    } finally {
      release();
      entered = () => {};
      server.close();
    }
  });
});

describe('request scope disposal failures', function () {
  this.timeout(30_000);
  let testApp: TestApp;
  let disposerRan: () => void = () => {};

  before(async () => {
    testApp = await createTestApp({}, (container) => {
      container.register({
        fragile: asFunction(() => ({}))
          .scoped()
          .disposer(async () => {
            disposerRan();
            throw new Error('qz disposer failed');
          }),
        planService: asFunction(
          ({ fragile }: { fragile: object }) =>
            ({ listActive: async () => ({ items: [], total: 0, page: 1, page_size: 20, fragile: Boolean(fragile) }) }) as unknown as PlanService,
        ).scoped(),
      } as never);
    });
  });
  after(() => testApp.close());

  it('when a scoped disposer fails after the response, then the failure is logged under the request id and nothing is left unhandled', async () => {
    const ran = new Promise<void>((resolve) => {
      disposerRan = resolve;
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const mochaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    try {
      const res = await testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-fragile-0001');
      expect(res.status).to.equal(200);
      await ran;
      // Let the rejected dispose() settle and any unhandled-rejection event fire.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
      for (const listener of mochaListeners) process.on('unhandledRejection', listener);
    }
    expect(unhandled).to.deep.equal([]);
    const logged = testApp.logs.withRequestId('req-fragile-0001').find((entry) => entry.message === 'request scope disposal failed');
    expect((logged?.error as { message?: string } | undefined)?.message).to.equal('qz disposer failed');
  });
});

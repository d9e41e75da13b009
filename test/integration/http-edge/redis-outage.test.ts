import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { waitUntilReady } from '../../../src/infrastructure/redis/wait-until-ready';
import { createEdgeApp, CREDENTIAL_PATH, LIMITS_ON, type EdgeApp } from './edge-app';

const storeWarnings = (t: EdgeApp, limiter: string) =>
  t.logs.entries.filter((entry) => entry.message === 'rate limit store unreachable' && entry.limiter === limiter);

/**
 * Each app instance has its own stores, so "once per outage" is per store: these tests send every
 * request through the same app (`edge`).
 */

/** A TCP relay to the real Redis that the test can cut and restore, to play an outage. */
class RedisRelay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(readonly port: number) {}

  static async onFreePort(): Promise<RedisRelay> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new RedisRelay(port);
  }

  async start(): Promise<void> {
    const target = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('HTTP edge: rate limits while Redis is unreachable', function () {
  this.timeout(30_000);

  describe('with Redis down from the start', () => {
    let t: EdgeApp;
    before(async () => {
      // Nothing listens on port 1: every Redis command fails at once.
      t = await createEdgeApp({ ...LIMITS_ON, REDIS_URL: 'redis://127.0.0.1:1' });
    });
    beforeEach(() => t.reset());
    after(() => t.close());

    it('when the general limiter cannot count, then it lets requests through and warns once for the outage', async () => {
      for (let i = 1; i <= 5; i += 1) {
        const res = await t.edge.get('/api/v1/plans');
        expect(res.status, `request ${i}`).to.equal(200);
        expect(res.headers.ratelimit).to.equal(undefined);
      }
      const warnings = storeWarnings(t, 'general');
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include({ level: 'warn', policy: 'fail open (requests not limited)' });
    });

    it('when the credential limiter cannot count, then it refuses with 503 and Retry-After, so an outage cannot be used to guess passwords', async () => {
      for (let i = 1; i <= 3; i += 1) {
        const res = await t.edge.post(CREDENTIAL_PATH).send({ login: 'someone' });
        expect(res.status).to.equal(503);
        expect(res.body).to.deep.equal({ detail: 'Service temporarily unavailable' });
        expect(res.headers['retry-after']).to.equal('5');
      }
      expect(storeWarnings(t, 'auth')).to.have.length(1);
    });
  });

  describe('with Redis coming and going', () => {
    let relay: RedisRelay;
    let t: EdgeApp;
    before(async () => {
      relay = await RedisRelay.onFreePort();
      // Redis is away at start-up, so the limiters cannot load their scripts then.
      t = await createEdgeApp({ ...LIMITS_ON, LOG_LEVEL: 'info', REDIS_URL: `redis://127.0.0.1:${relay.port}/0` });
    });
    after(async () => {
      await t.close();
      await relay.cut();
    });

    it('when Redis appears after start-up, then both limiters count again', async () => {
      expect((await t.edge.post(CREDENTIAL_PATH).send({ login: 'x' })).status).to.equal(503);

      await relay.start();
      expect(await waitUntilReady(t.container.cradle.redis, 5000)).to.equal(true);
      await t.reset();
      for (let i = 1; i <= 5; i += 1) {
        expect((await t.edge.post(CREDENTIAL_PATH).send({ login: 'x' })).status, `login ${i}`).to.equal(200);
      }
      const res = await t.edge.post(CREDENTIAL_PATH).send({ login: 'x' });
      expect(res.status).to.equal(429);
      expect(res.headers.ratelimit).to.match(/"general"; r=94;/);
      expect(t.logs.entries.some((entry) => entry.message === 'rate limit store reachable again' && entry.limiter === 'auth')).to.equal(true);
    });

    it('when Redis goes away again, then the general limiter fails open and the credential one closed, each warning once', async () => {
      await relay.cut();
      t.logs.clear();
      for (let i = 1; i <= 3; i += 1) {
        expect((await t.edge.get('/api/v1/plans')).status).to.equal(200);
        expect((await t.edge.post(CREDENTIAL_PATH).send({ login: 'x' })).status).to.equal(503);
      }
      expect(storeWarnings(t, 'general')).to.have.length(1);
      expect(storeWarnings(t, 'auth')).to.have.length(1);
    });
  });
});

import { expect } from 'chai';
import type { Response } from 'supertest';
import { TEST_REDIS_PREFIX } from '../../support/env';
import { createEdgeApp, CREDENTIAL_PATH, LIMITS_ON, WEBHOOK_PATH, type EdgeApp } from './edge-app';

const login = (t: EdgeApp, ip?: string) => {
  const req = t.edge.post(CREDENTIAL_PATH).send({ login: 'someone' });
  return ip ? req.set('X-Forwarded-For', ip) : req;
};

function expectTooManyRequests(res: Response): void {
  expect(res.status).to.equal(429);
  expect(res.body).to.deep.equal({ detail: 'Too many requests' });
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).to.be.within(1, 60);
}

describe('HTTP edge: rate limits', function () {
  this.timeout(30_000);

  describe('with the default proxy setting (none trusted)', () => {
    let t: EdgeApp;
    before(async () => {
      t = await createEdgeApp(LIMITS_ON);
    });
    beforeEach(() => t.reset());
    after(() => t.close());

    it('when a client sends its 101st request in a minute, then it gets 429 with Retry-After and RateLimit headers', async () => {
      for (let i = 1; i <= 100; i += 1) {
        const res = await t.http.get('/api/v1/plans');
        expect(res.status, `request ${i}`).to.equal(200);
      }
      const res = await t.http.get('/api/v1/plans');
      expectTooManyRequests(res);
      expect(res.headers.ratelimit).to.match(/^"general"; r=0; t=\d+$/);
      expect(res.headers['ratelimit-policy']).to.match(/^"general"; q=100; w=60; pk=:[A-Za-z0-9+/=]+:$/);
      expect(res.headers['x-request-id']).to.be.a('string');
    });

    it('when a client is under the limit, then every answer tells it what is left', async () => {
      const first = await t.http.get('/api/v1/plans');
      const second = await t.http.get('/no-such-route');
      expect(first.headers.ratelimit).to.match(/^"general"; r=99; t=\d+$/);
      expect(second.status).to.equal(404);
      expect(second.headers.ratelimit).to.match(/^"general"; r=98; t=\d+$/);
    });

    it('when a client calls a credential endpoint a 6th time in a minute, then it gets 429 with Retry-After', async () => {
      for (let i = 1; i <= 5; i += 1) {
        const res = await login(t);
        expect(res.status, `login ${i}`).to.equal(200);
      }
      const res = await login(t);
      expectTooManyRequests(res);
      // Both limits are visible: the general one and the stricter credential one.
      expect(res.headers.ratelimit).to.match(/"general"; r=94; t=\d+, "auth"; r=0; t=\d+/);
      expect(res.headers['ratelimit-policy']).to.include('"auth"; q=5; w=60');
      // The general limit still lets the same client read.
      expect((await t.http.get('/api/v1/plans')).status).to.equal(200);
    });

    it('when a client posts to the real POST /api/v1/auth/login a 6th time in a minute, then it gets 429 before any password is checked', async () => {
      const attempt = () => t.http.post('/api/v1/auth/login').send({ login_or_email: 'nobody_here', password: 'wrong-password-1' });
      for (let i = 1; i <= 5; i += 1) {
        const res = await attempt();
        expect(res.status, `login ${i}`).to.equal(401);
        expect(res.headers.ratelimit).to.include(`"auth"; r=${5 - i};`);
      }
      const hashesBefore = t.container.cradle.passwordHasher.completedTasks;
      expectTooManyRequests(await attempt());
      expect(t.container.cradle.passwordHasher.completedTasks).to.equal(hashesBefore);
    });

    it('when a client sends a forged X-Forwarded-For, then it is still counted by its socket address', async () => {
      for (let i = 1; i <= 5; i += 1) {
        expect((await login(t, `198.51.100.${i}`)).status).to.equal(200);
      }
      expectTooManyRequests(await login(t, '203.0.113.77'));
    });

    it('when probes, docs and webhooks are called, then they are not limited by IP', async () => {
      for (let i = 1; i <= 105; i += 1) {
        const res = await t.http.get('/health');
        expect(res.status).to.equal(200);
        expect(res.headers.ratelimit).to.equal(undefined);
      }
      for (const path of ['/ready', '/openapi.json']) {
        expect((await t.http.get(path)).headers.ratelimit, path).to.equal(undefined);
      }
      const webhook = await t.edge.post(WEBHOOK_PATH).send({ any: 'thing' });
      expect(webhook.status).to.equal(200);
      expect(webhook.headers.ratelimit).to.equal(undefined);
      // ... and they did not use up the client's allowance either.
      expect((await t.http.get('/api/v1/plans')).headers.ratelimit).to.match(/r=99;/);
    });

    it('when /metrics is called with wrong tokens, then the 6th wrong try in a window is 429 before the token is looked at (review S3)', async () => {
      const scrape = (token: string) => t.http.get('/metrics').set('Authorization', `Bearer ${token}`);
      const right = t.container.cradle.config.metricsToken;
      for (let i = 1; i <= 5; i += 1) {
        const res = await scrape(`guess-${i}`);
        expect(res.status, `guess ${i}`).to.equal(401);
        expect(res.headers.ratelimit).to.include('"metrics"');
      }
      expectTooManyRequests(await scrape('guess-6'));
      // The scraper behind the same address waits out the window too: a guesser must not get around it.
      expectTooManyRequests(await scrape(right));
      // ... and the general allowance of the client was not spent by /metrics.
      expect((await t.http.get('/api/v1/plans')).headers.ratelimit).to.match(/"general"; r=99;/);
    });

    it('when /metrics is scraped with the right token, then successful scrapes are never counted', async () => {
      const right = t.container.cradle.config.metricsToken;
      for (let i = 1; i <= 12; i += 1) {
        const res = await t.http.get('/metrics').set('Authorization', `Bearer ${right}`);
        expect(res.status, `scrape ${i}`).to.equal(200);
      }
      // Success answers are taken back once they finish: poll briefly rather than assume timing.
      for (let polls = 0; Number(await t.container.cradle.redis.get(`${TEST_REDIS_PREFIX}{rl}:metrics:127.0.0.1`)) > 0 && polls < 50; polls += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(Number(await t.container.cradle.redis.get(`${TEST_REDIS_PREFIX}{rl}:metrics:127.0.0.1`))).to.equal(0);
      expect((await t.http.get('/metrics').set('Authorization', 'Bearer wrong')).headers.ratelimit).to.match(/"metrics"; r=4;/);
    });

    it('when requests are counted, then the counters live under the Redis key prefix, one prefix per limiter', async () => {
      await login(t);
      const keys = (await t.container.cradle.redis.keys(`${TEST_REDIS_PREFIX}{rl}:*`)).sort();
      expect(keys).to.deep.equal([`${TEST_REDIS_PREFIX}{rl}:auth:127.0.0.1`, `${TEST_REDIS_PREFIX}{rl}:general:127.0.0.1`]);
      const ttl = await t.container.cradle.redis.pttl(keys[0]!);
      expect(ttl).to.be.within(1, 60_000);
    });
  });

  describe('with several API processes', () => {
    let a: EdgeApp;
    let b: EdgeApp;
    before(async () => {
      a = await createEdgeApp({ ...LIMITS_ON, RATE_LIMIT_GLOBAL_MAX: '10' });
      b = await createEdgeApp({ ...LIMITS_ON, RATE_LIMIT_GLOBAL_MAX: '10' });
    });
    beforeEach(() => a.reset());
    after(async () => {
      await a.close();
      await b.close();
    });

    it('when a client spreads its requests over two app instances on the same Redis, then they share one counter', async () => {
      for (let i = 1; i <= 10; i += 1) {
        const res = await (i % 2 ? a : b).http.get('/api/v1/plans');
        expect(res.status, `request ${i}`).to.equal(200);
      }
      expectTooManyRequests(await a.http.get('/api/v1/plans'));
      expectTooManyRequests(await b.http.get('/api/v1/plans'));
    });

    it('when a client spreads its logins over two app instances, then the credential limit is shared too', async () => {
      for (let i = 1; i <= 5; i += 1) expect((await login(i % 2 ? a : b)).status).to.equal(200);
      expectTooManyRequests(await login(b));
    });
  });

  describe('behind one trusted proxy (TRUST_PROXY=1)', () => {
    let t: EdgeApp;
    before(async () => {
      t = await createEdgeApp({ ...LIMITS_ON, TRUST_PROXY: '1' });
    });
    beforeEach(() => t.reset());
    after(() => t.close());

    it('when the proxy appends the client address, then the limit follows that hop and not what the client forged before it', async () => {
      for (let i = 1; i <= 5; i += 1) {
        // The client forged the first entry; the proxy appended the address it saw.
        expect((await login(t, `10.0.0.${i}, 203.0.113.7`)).status).to.equal(200);
      }
      expectTooManyRequests(await login(t, '192.0.2.1, 203.0.113.7'));
      // Another client behind the same proxy has its own allowance.
      expect((await login(t, '203.0.113.8')).status).to.equal(200);
      const keys = await t.container.cradle.redis.keys(`${TEST_REDIS_PREFIX}{rl}:auth:*`);
      expect(keys.sort()).to.deep.equal([`${TEST_REDIS_PREFIX}{rl}:auth:203.0.113.7`, `${TEST_REDIS_PREFIX}{rl}:auth:203.0.113.8`]);
    });

    it('when IPv6 clients share a /64, then they share a counter; another /64 does not', async () => {
      for (let i = 1; i <= 5; i += 1) {
        expect((await login(t, `2001:db8:1:2::${i.toString(16)}`)).status).to.equal(200);
      }
      expectTooManyRequests(await login(t, '2001:db8:1:2:ffff:ffff:ffff:ffff'));
      expect((await login(t, '2001:db8:1:3::1')).status).to.equal(200);
      const keys = await t.container.cradle.redis.keys(`${TEST_REDIS_PREFIX}{rl}:auth:*`);
      expect(keys.sort()).to.deep.equal([`${TEST_REDIS_PREFIX}{rl}:auth:2001:db8:1:2::/64`, `${TEST_REDIS_PREFIX}{rl}:auth:2001:db8:1:3::/64`]);
    });
  });

  describe('switched off (outside production only)', () => {
    let t: EdgeApp;
    before(async () => {
      t = await createEdgeApp({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_AUTH_MAX: '1' });
    });
    after(() => t.close());

    it('when RATE_LIMIT_ENABLED=false, then nothing is counted and no RateLimit header is sent', async () => {
      for (let i = 1; i <= 3; i += 1) {
        const res = await login(t);
        expect(res.status).to.equal(200);
        expect(res.headers.ratelimit).to.equal(undefined);
      }
    });
  });
});

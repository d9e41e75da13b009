import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { expectCleanBody } from './helpers';
import { TEST_METRICS_TOKEN } from '../../support/env';

const METRICS_TOKEN = TEST_METRICS_TOKEN;

describe('health, readiness, docs and metrics', function () {
  this.timeout(30_000);

  describe('with PostgreSQL and Redis up', () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await createTestApp();
    });
    after(() => testApp.close());

    it('when /health is called, then 200 {status: "ok"}', async () => {
      const res = await testApp.http.get('/health');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('when /ready is called, then 200 with both components up', async () => {
      const res = await testApp.http.get('/ready');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ready', components: { database: 'up', redis: 'up' } });
    });

    it('when /docs/ is called, then the Swagger UI page is served, pointing at /openapi.json', async () => {
      const res = await testApp.http.get('/docs/');
      expect(res.status).to.equal(200);
      expect(res.type).to.equal('text/html');
      expect(res.text).to.include('swagger-ui');
      const init = await testApp.http.get('/docs/swagger-ui-init.js');
      expect(init.status).to.equal(200);
      expect(init.text).to.include('/openapi.json');
      const css = await testApp.http.get('/docs/swagger-ui.css');
      expect(css.status).to.equal(200);
      expect(css.type).to.equal('text/css');
    });

    it('when /docs is called without the slash, then it redirects to /docs/', async () => {
      const res = await testApp.http.get('/docs');
      expect(res.status).to.equal(301);
      expect(res.headers.location).to.equal('/docs/');
    });

    for (const [why, header] of [
      ['no token', undefined],
      ['a wrong token', `Bearer ${METRICS_TOKEN}x`],
      ['the right token in another scheme', `Basic ${METRICS_TOKEN}`],
      ['an empty bearer', 'Bearer '],
    ] as const) {
      it(`when /metrics is called with ${why}, then 401 with WWW-Authenticate`, async () => {
        const req = testApp.http.get('/metrics');
        if (header !== undefined) req.set('Authorization', header);
        const res = await req;
        expect(res.status).to.equal(401);
        expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
        expect(res.headers['www-authenticate']).to.equal('Bearer');
        expect(res.text).not.to.include('http_request_duration_seconds');
      });
    }

    it('when /metrics is called with the token, then it is Prometheus text with the request histogram by route template, event-loop lag and CPU', async () => {
      await testApp.http.get('/health');
      await testApp.http.get('/api/v1/plans/00000000-0000-4000-8000-000000000001');
      const res = await testApp.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      expect(res.text).to.match(/^http_request_duration_seconds_bucket\{[^}]*route="\/health"[^}]*status="200"[^}]*\} [1-9]/m);
      expect(res.text).to.match(/^http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/m);
      expect(res.text).not.to.include('00000000-0000-4000-8000-000000000001');
      expect(res.text).to.match(/^nodejs_eventloop_lag_p99_seconds \d/m);
      expect(res.text).to.match(/^process_cpu_user_seconds_total \d/m);
      expect(res.text).to.match(/^process_cpu_system_seconds_total \d/m);
    });
  });

  describe('with docs disabled', () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await createTestApp({ DOCS_ENABLED: 'false' });
    });
    after(() => testApp.close());

    for (const path of ['/docs', '/docs/', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js']) {
      it(`when ${path} is called, then 404 {"detail":"Not found"}`, async () => {
        const res = await testApp.http.get(path);
        expect(res.status).to.equal(404);
        expect(res.body).to.deep.equal({ detail: 'Not found' });
      });
    }
  });

  describe('with PostgreSQL unreachable', () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await createTestApp({ DATABASE_URL: 'postgres://qzuser@127.0.0.1:1/qzdb' });
    });
    after(() => testApp.close());

    it('when /ready is called, then 503 naming the database, with no host, port or URL', async () => {
      const res = await testApp.http.get('/ready');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ status: 'unavailable', components: { database: 'down', redis: 'up' } });
      expect(res.headers['retry-after']).to.equal('5');
      expectCleanBody(res, ['127.0.0.1', ':1', 'qzuser', 'qzdb', 'postgres', 'ECONNREFUSED']);
    });

    it('when /health is called, then the process is still alive (200)', async () => {
      expect((await testApp.http.get('/health')).status).to.equal(200);
    });
  });

  describe('with Redis unreachable', () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1/5' });
    });
    after(() => testApp.close());

    it('when /ready is called, then 503 naming redis, with no host, port or URL', async () => {
      const res = await testApp.http.get('/ready');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ status: 'unavailable', components: { database: 'up', redis: 'down' } });
      expectCleanBody(res, ['127.0.0.1', ':1', 'redis://', 'ECONNREFUSED', 'enableOfflineQueue']);
    });

    it('when Redis is down, then the outage is logged once, without the URL', () => {
      const warnings = testApp.logs.entries.filter((entry) => entry.message === 'redis connection error');
      expect(warnings).to.have.length(1);
      expect(JSON.stringify(warnings[0])).not.to.include('redis://');
    });
  });
});

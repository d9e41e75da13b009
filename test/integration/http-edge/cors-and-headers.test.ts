import { expect } from 'chai';
import { createEdgeApp, LIMITS_ON, type EdgeApp } from './edge-app';

const ALLOWED = 'http://admin.test';
const FOREIGN = 'http://evil.test';

describe('HTTP edge: CORS and security headers', function () {
  let t: EdgeApp;

  before(async () => {
    t = await createEdgeApp({ ...LIMITS_ON, CORS_ORIGINS: ALLOWED });
  });
  beforeEach(() => t.reset());
  after(() => t.close());

  describe('preflight', () => {
    it('when an allowed origin preflights a protected write, then it is answered 204 with the CORS headers and no auth', async () => {
      const res = await t.http
        .options('/api/v1/plans')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,authorization,x-requested-with,x-request-id');

      expect(res.status).to.equal(204);
      expect(res.headers['access-control-allow-origin']).to.equal(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).to.equal('true');
      expect(res.headers['access-control-allow-methods']).to.equal('GET,POST,PUT,PATCH,DELETE,OPTIONS');
      expect(res.headers['access-control-allow-headers']).to.equal('Content-Type,Authorization,X-Request-ID,X-Requested-With');
      expect(res.headers['access-control-max-age']).to.equal('600');
      expect(res.headers.vary).to.match(/Origin/);
      expect(res.headers['www-authenticate']).to.equal(undefined);
      expect(res.headers['x-request-id']).to.be.a('string');
    });

    it('when a preflight arrives, then it is not counted by the rate limiter', async () => {
      await t.http.options('/api/v1/plans').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'GET');
      const res = await t.http.get('/api/v1/plans').set('Origin', ALLOWED);
      expect(res.headers.ratelimit).to.include('r=99;');
    });

    it('when a disallowed origin preflights, then no Access-Control-Allow-Origin is given', async () => {
      const res = await t.http.options('/api/v1/plans').set('Origin', FOREIGN).set('Access-Control-Request-Method', 'POST');
      expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    });
  });

  describe('actual requests', () => {
    it('when an allowed origin reads, then its origin is echoed with credentials and the useful headers are exposed', async () => {
      const res = await t.http.get('/api/v1/plans').set('Origin', ALLOWED);
      expect(res.status).to.equal(200);
      expect(res.headers['access-control-allow-origin']).to.equal(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).to.equal('true');
      expect(res.headers['access-control-expose-headers']).to.equal('X-Request-ID,Retry-After,RateLimit,RateLimit-Policy');
    });

    it('when a request carries no Origin (a probe, a server), then it gets no CORS header but Vary: Origin', async () => {
      const res = await t.http.get('/api/v1/plans');
      expect(res.status).to.equal(200);
      expect(res.headers.vary).to.equal('Origin');
      for (const header of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers']) {
        expect(res.headers[header], header).to.equal(undefined);
      }
    });

    it('when a disallowed origin reads, then the answer carries no Access-Control-Allow-Origin', async () => {
      const res = await t.http.get('/api/v1/plans').set('Origin', FOREIGN);
      expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it('when an allowed origin gets an error answer, then the CORS headers are there too, so the frontend can read it', async () => {
      const res = await t.http.post('/api/v1/plans').set('Origin', ALLOWED).send({});
      expect(res.status).to.equal(401);
      expect(res.headers['access-control-allow-origin']).to.equal(ALLOWED);
    });
  });

  describe('security headers', () => {
    it('when anything is answered, then helmet headers are present and X-Powered-By is not', async () => {
      for (const path of ['/health', '/api/v1/plans', '/no-such-route']) {
        const res = await t.http.get(path);
        expect(res.headers['x-content-type-options'], path).to.equal('nosniff');
        expect(res.headers['x-frame-options'], path).to.equal('SAMEORIGIN');
        expect(res.headers['strict-transport-security'], path).to.match(/max-age=\d+/);
        expect(res.headers['content-security-policy'], path).to.include("default-src 'self'");
        expect(res.headers['referrer-policy'], path).to.equal('no-referrer');
        expect(res.headers['cross-origin-opener-policy'], path).to.equal('same-origin');
        expect(res.headers['x-powered-by'], path).to.equal(undefined);
      }
    });
  });

  describe('"*" outside production', () => {
    let dev: EdgeApp;
    before(async () => {
      dev = await createEdgeApp({ NODE_ENV: 'development', LOG_FORMAT: 'json', CORS_ORIGINS: `${ALLOWED},*` });
    });
    after(() => dev.close());

    it('when an unlisted origin calls, then it is allowed without credentials', async () => {
      const res = await dev.http.get('/api/v1/plans').set('Origin', FOREIGN);
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      expect(res.headers['access-control-allow-credentials']).to.equal(undefined);
      expect(res.headers.vary).to.match(/Origin/);
    });

    it('when a listed origin calls, then it keeps its credentials', async () => {
      const res = await dev.http.options('/api/v1/plans').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'POST');
      expect(res.status).to.equal(204);
      expect(res.headers['access-control-allow-origin']).to.equal(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).to.equal('true');
    });
  });
});

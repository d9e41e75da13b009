import { randomUUID } from 'node:crypto';
import { asValue } from 'awilix';
import { expect } from 'chai';
import { ERROR_CATALOG } from '../../../src/http/error-catalog';
import {
  ConflictError,
  CsrfRejectedError,
  ReauthRequiredError,
  InternalError,
  InUseError,
  InvalidCredentialsError,
  InvalidSignatureError,
  InvalidTokenError,
  MalformedBodyEncodingError,
  MalformedJsonError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitedError,
  RequestValidationError,
  RouteNotFoundError,
  ServiceUnavailableError,
  StateConflictError,
  SubscriptionExpiredError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
  UpstreamRejectedError,
  PaymentRejectedError,
  IdempotencyKeyReusedError,
  IdempotencyInFlightError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  type AppError,
  type ErrorCode,
} from '../../../src/shared/errors';
import type { PlanService } from '../../../src/modules/plans/plans.service';
import { dropTestDatabase, testDatabaseUrl } from '../../support/database';
import { createTestApp, type TestApp } from '../../support/test-app';
import { expectCleanBody, FakeAuthenticator } from './helpers';

/** A distinctive internal message: whatever the error says internally, the body must not repeat it. */
const INTERNAL = 'qz-internal SELECT secret FROM admin_users /etc/passwd';

interface Case {
  error: () => AppError;
  status: number;
  detail: unknown;
  headers?: Record<string, string>;
}

/**
 * SPEC.md "Errors", written out independently of src/http/error-catalog.ts. Partial on purpose: a
 * row added to the table without a case here fails a test below instead of the whole compilation.
 */
const CASES: Partial<Record<ErrorCode, Case>> = {
  validation_failed: {
    error: () => new RequestValidationError([{ loc: ['body', 'email'], msg: 'email is required', type: 'any.required' }]),
    status: 422,
    detail: [{ loc: ['body', 'email'], msg: 'email is required', type: 'any.required' }],
  },
  malformed_json: { error: () => new MalformedJsonError(INTERNAL), status: 400, detail: 'Malformed JSON body' },
  payload_too_large: { error: () => new PayloadTooLargeError(INTERNAL), status: 413, detail: 'Payload too large' },
  unsupported_media_type: {
    error: () => new UnsupportedMediaTypeError(INTERNAL),
    status: 415,
    detail: 'Content-Type must be application/json',
  },
  malformed_body_encoding: {
    error: () => new MalformedBodyEncodingError(INTERNAL),
    status: 400,
    detail: 'Body does not match its Content-Encoding',
  },
  unsupported_content_encoding: {
    error: () => new UnsupportedContentEncodingError(INTERNAL),
    status: 415,
    detail: 'Content-Encoding must be identity, gzip or deflate',
  },
  invalid_token: {
    error: () => new InvalidTokenError(INTERNAL),
    status: 401,
    detail: 'Invalid or expired token',
    headers: { 'www-authenticate': 'Bearer' },
  },
  invalid_credentials: { error: () => new InvalidCredentialsError(INTERNAL), status: 401, detail: 'Invalid credentials' },
  invalid_signature: { error: () => new InvalidSignatureError(INTERNAL), status: 401, detail: 'Invalid signature' },
  csrf_rejected: { error: () => new CsrfRejectedError(INTERNAL), status: 403, detail: 'Cross-site request refused' },
  reauth_required: { error: () => new ReauthRequiredError(INTERNAL), status: 403, detail: 'Re-authentication required' },
  permission_denied: { error: () => new PermissionDeniedError(INTERNAL), status: 403, detail: 'Insufficient permissions' },
  not_found: { error: () => new NotFoundError('Plan'), status: 404, detail: 'Plan not found' },
  route_not_found: { error: () => new RouteNotFoundError(INTERNAL), status: 404, detail: 'Not found' },
  conflict: { error: () => new ConflictError('Plan'), status: 409, detail: 'Plan already exists' },
  in_use: { error: () => new InUseError('Plan'), status: 409, detail: 'Plan is in use' },
  state_conflict: {
    error: () => new StateConflictError('own_account'),
    status: 409,
    detail: 'An admin cannot deactivate or delete their own account',
  },
  subscription_expired: { error: () => new SubscriptionExpiredError(INTERNAL), status: 402, detail: 'Subscription expired' },
  rate_limited: {
    error: () => new RateLimitedError(12.2),
    status: 429,
    detail: 'Too many requests',
    headers: { 'retry-after': '13' },
  },
  upstream_unavailable: {
    error: () => new UpstreamUnavailableError('Remnawave', `HTTP 500 from http://panel.qz-internal:3000 ${INTERNAL}`),
    status: 502,
    detail: 'Upstream service unavailable',
  },
  upstream_timeout: {
    error: () => new UpstreamTimeoutError('CryptoBot', { cause: new Error(INTERNAL) }),
    status: 504,
    detail: 'Upstream service unavailable',
  },
  upstream_rejected: {
    error: () => new UpstreamRejectedError('Remnawave', `HTTP 400 A032 expireAt must be in the future ${INTERNAL}`),
    status: 422,
    detail: 'The VPN panel refused these values',
  },
  payment_rejected: {
    error: () => new PaymentRejectedError('asset', `createInvoice: HTTP 400 ASSET_INVALID ${INTERNAL}`),
    status: 422,
    detail: 'The payment provider does not accept this asset',
  },
  idempotency_key_reused: {
    error: () => new IdempotencyKeyReusedError(`key of admin:${INTERNAL}`),
    status: 422,
    detail: 'Idempotency key reused with a different request',
  },
  idempotency_in_flight: {
    error: () => new IdempotencyInFlightError(INTERNAL),
    status: 409,
    detail: 'A request with this idempotency key is still in progress',
  },
  service_unavailable: {
    error: () => new ServiceUnavailableError('database', 30, { cause: new Error(INTERNAL) }),
    status: 503,
    detail: 'Service temporarily unavailable',
    headers: { 'retry-after': '30' },
  },
  internal: { error: () => new InternalError(INTERNAL), status: 500, detail: 'Internal server error' },
};

/** A plan service whose every use case throws what the test puts in `next`. */
class ThrowingPlanService {
  next: unknown = new Error('not set');
  private fail = async (): Promise<never> => {
    throw this.next;
  };
  listActive = this.fail;
  get = this.fail;
  create = this.fail;
  update = this.fail;
  delete = this.fail;
}

const validPlan = () => ({ name: `Plan ${randomUUID().slice(0, 8)}`, tier: 'standard', duration_days: 30, price: 4.99, currency: 'USD' });

describe('error contract', function () {
  this.timeout(30_000);

  describe('every row of the error table, through a real route with a throwing service', () => {
    let testApp: TestApp;
    const planService = new ThrowingPlanService();

    before(async () => {
      testApp = await createTestApp({}, (container) => {
        container.register({ planService: asValue(planService as unknown as PlanService) });
      });
    });
    after(() => testApp.close());

    it('when the table gains a row, then this test has a case for it (and no stale case)', () => {
      expect(Object.keys(CASES)).to.have.members(Object.keys(ERROR_CATALOG));
    });

    for (const code of Object.keys(ERROR_CATALOG) as ErrorCode[]) {
      it(`when a service throws ${code}, then the response is its status, safe detail and headers`, async () => {
        const expected = CASES[code];
        if (!expected) throw new Error(`no test case for the error table row "${code}": add one to CASES`);
        planService.next = expected.error();
        const res = await testApp.http.get('/api/v1/plans').set('X-Request-ID', `req-${code}-0001`);
        expect(res.status).to.equal(expected.status);
        expect(res.type).to.equal('application/json');
        expect(res.body).to.deep.equal({ detail: expected.detail });
        expect(res.headers['x-request-id']).to.equal(`req-${code}-0001`);
        for (const [header, value] of Object.entries(expected.headers ?? {})) expect(res.headers[header]).to.equal(value);
        expectCleanBody(res, ['qz-internal', 'secret', 'Remnawave', 'CryptoBot', 'database']);
      });
    }

    it('when a retry delay is below one second, then Retry-After still says at least 1', async () => {
      planService.next = new RateLimitedError(0.2);
      const res = await testApp.http.get('/api/v1/plans');
      expect(res.status).to.equal(429);
      expect(res.headers['retry-after']).to.equal('1');
    });

    it('when an unexpected Error mentions SQL and a file path, then the body is a clean 500 and the log has it all under the request id', async () => {
      const unexpected = new Error(`SELECT * FROM admin_users WHERE password = 'qz-pw' -- /etc/passwd`);
      planService.next = unexpected;
      const res = await testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-unexpected-0001');
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ detail: 'Internal server error' });
      expectCleanBody(res, ['qz-pw', 'admin_users', 'Error']);
      const logged = testApp.logs.withRequestId('req-unexpected-0001').find((entry) => entry.level === 'error');
      expect(logged, 'an error line under the request id').to.exist;
      const error = logged!.error as Record<string, unknown>;
      expect(error.message).to.equal(unexpected.message);
      expect(error.stack).to.be.a('string').and.include('error-contract.test');
    });

    it('when something that is not an Error is thrown, then it is a clean 500 too', async () => {
      planService.next = 'qz a bare string /etc/passwd';
      const res = await testApp.http.get('/api/v1/plans');
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ detail: 'Internal server error' });
      expectCleanBody(res, ['qz']);
    });

    it('when a service throws a network error of a dependency, then it is a 503 with Retry-After', async () => {
      planService.next = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379'), { code: 'ECONNREFUSED' });
      const res = await testApp.http.get('/api/v1/plans');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ detail: 'Service temporarily unavailable' });
      expect(res.headers['retry-after']).to.equal('5');
      expectCleanBody(res, ['10.1.2.3', 'ECONNREFUSED']);
    });
  });

  describe('real triggers', () => {
    let testApp: TestApp;
    const auth = new FakeAuthenticator();

    before(async () => {
      testApp = await createTestApp({}, (container) => auth.register(container));
    });
    beforeEach(async () => {
      auth.role = 'super_admin';
      await testApp.reset();
      await auth.actAsNewAdmin(testApp.container);
    });
    after(() => testApp.close());

    it('when a JSON body is malformed, then 400 "Malformed JSON body"', async () => {
      const res = await testApp.http.post('/api/v1/plans').set('Content-Type', 'application/json').send('{"name": "qz-broken",');
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ detail: 'Malformed JSON body' });
      expectCleanBody(res, ['qz-broken', 'Unexpected', 'JSON.parse', 'position']);
    });

    it('when a JSON body is over 100 kB, then 413 "Payload too large"', async () => {
      const res = await testApp.http
        .post('/api/v1/plans')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ ...validPlan(), features: ['x'.repeat(101 * 1024)] }));
      expect(res.status).to.equal(413);
      expect(res.body).to.deep.equal({ detail: 'Payload too large' });
      expectCleanBody(res, ['limit', '102400']);
    });

    it('when a JSON body is just under 100 kB, then it is parsed and validated (422 for the oversized feature)', async () => {
      const res = await testApp.http
        .post('/api/v1/plans')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ ...validPlan(), features: ['x'.repeat(90 * 1024)] }));
      expect(res.status).to.equal(422);
      expect(res.body.detail[0]).to.include({ type: 'string.max' });
      expect(res.body.detail[0].loc).to.deep.equal(['body', 'features', 0]);
    });

    it('when a body route gets a non-JSON content type, then 415', async () => {
      const res = await testApp.http.post('/api/v1/plans').set('Content-Type', 'text/plain').send('name=qz');
      expect(res.status).to.equal(415);
      expect(res.body).to.deep.equal({ detail: 'Content-Type must be application/json' });
      expectCleanBody(res, ['text/plain', 'type-is']);
    });

    it('when a body route gets a form-encoded body, then 415 and nothing is created', async () => {
      const res = await testApp.http.post('/api/v1/plans').type('form').send(validPlan());
      expect(res.status).to.equal(415);
      const list = await testApp.http.get('/api/v1/plans');
      expect(list.body.total).to.equal(0);
    });

    it('when a body route gets no body at all, then 422 names every required field', async () => {
      const res = await testApp.http.post('/api/v1/plans');
      expect(res.status).to.equal(422);
      const locs = (res.body.detail as Array<{ loc: string[] }>).map((issue) => issue.loc.join('.'));
      expect(locs).to.include.members(['body.name', 'body.tier', 'body.duration_days', 'body.price', 'body.currency']);
      expectCleanBody(res, ['celebrate', 'joi']);
    });

    it('when query parameters fail validation, then 422 lists each as {loc, msg, type} with loc ["query", name]', async () => {
      const res = await testApp.http.get('/api/v1/plans?page=0&page_size=1000');
      expect(res.status).to.equal(422);
      expect(res.body).to.have.all.keys('detail');
      const detail = res.body.detail as Array<{ loc: unknown[]; msg: string; type: string }>;
      expect(detail).to.have.length(2);
      for (const issue of detail) {
        expect(issue).to.have.all.keys('loc', 'msg', 'type');
        expect(issue.msg).to.be.a('string').and.not.empty;
      }
      expect(detail.map((issue) => issue.loc)).to.have.deep.members([
        ['query', 'page'],
        ['query', 'page_size'],
      ]);
      expect(detail.map((issue) => issue.type)).to.have.members(['number.min', 'number.max']);
      expectCleanBody(res, ['celebrate', 'joi', '1000']);
    });

    it('when a path parameter is not a UUID, then 422 with loc ["path", "id"]', async () => {
      const res = await testApp.http.patch('/api/v1/plans/not-a-uuid').send({ name: 'x' });
      expect(res.status).to.equal(422);
      expect(res.body.detail).to.deep.include({ loc: ['path', 'id'], msg: 'id must be a valid GUID', type: 'string.guid' });
    });

    it('when a pattern-validated value fails, then the 422 never echoes the value', async () => {
      const secret = 'qzsecretvalue1234567';
      const res = await testApp.http.post('/api/v1/plans').send({ ...validPlan(), currency: secret });
      expect(res.status).to.equal(422);
      expect(res.body.detail).to.deep.equal([
        { loc: ['body', 'currency'], msg: 'currency does not match the currency code format', type: 'string.pattern.name' },
      ]);
      expect(res.text.toLowerCase()).not.to.include(secret);
      expectCleanBody(res, ['[A-Z]', '{3,10}']);
    });

    it('when an unknown body field is sent, then 422 names it', async () => {
      const res = await testApp.http.post('/api/v1/plans').send({ ...validPlan(), is_admin: true });
      expect(res.status).to.equal(422);
      expect(res.body.detail).to.deep.include({ loc: ['body', 'is_admin'], msg: 'is_admin is not allowed', type: 'object.unknown' });
    });

    for (const [method, url] of [
      ['get', '/api/v1/nope'],
      ['get', '/nope'],
      ['put', '/api/v1/plans'],
      ['post', '/health'],
    ] as const) {
      it(`when ${method.toUpperCase()} ${url} matches no route, then 404 {"detail":"Not found"}`, async () => {
        const res = await testApp.http[method](url);
        expect(res.status).to.equal(404);
        expect(res.body).to.deep.equal({ detail: 'Not found' });
        expect(res.headers['x-request-id']).to.be.a('string');
        expectCleanBody(res, ['Cannot', url]);
      });
    }

    it('when the caller lacks the permission, then the real guard answers 403 "Insufficient permissions"', async () => {
      auth.role = 'operator';
      const res = await testApp.http.post('/api/v1/plans').send(validPlan());
      expect(res.status).to.equal(403);
      expect(res.body).to.deep.equal({ detail: 'Insufficient permissions' });
      expectCleanBody(res, ['manage_plans', 'operator']);
    });

    it('when a plan id does not exist, then 404 "Plan not found" without echoing the id', async () => {
      const id = randomUUID();
      for (const res of [
        await testApp.http.patch(`/api/v1/plans/${id}`).send({ name: 'x' }),
        await testApp.http.delete(`/api/v1/plans/${id}`),
      ]) {
        expect(res.status).to.equal(404);
        expect(res.body).to.deep.equal({ detail: 'Plan not found' });
        expect(res.text).not.to.include(id);
      }
    });

    it('when a plan name is taken, then 409 "Plan already exists"', async () => {
      const plan = validPlan();
      expect((await testApp.http.post('/api/v1/plans').send(plan)).status).to.equal(201);
      const res = await testApp.http.post('/api/v1/plans').send(plan);
      expect(res.status).to.equal(409);
      expect(res.body).to.deep.equal({ detail: 'Plan already exists' });
      expectCleanBody(res, ['duplicate', 'constraint', '23505']);
    });

    it('when a payment refers to a plan, then deleting it is 409 "Plan is in use"', async () => {
      const created = await testApp.http.post('/api/v1/plans').send(validPlan());
      await testApp.container.cradle.db('payments').insert({
        external_invoice_id: '987654321',
        user_id: '42',
        plan_id: created.body.id,
        amount: '4.99',
        asset: 'USDT',
        subscription_days: 30,
      });
      const res = await testApp.http.delete(`/api/v1/plans/${created.body.id}`);
      expect(res.status).to.equal(409);
      expect(res.body).to.deep.equal({ detail: 'Plan is in use' });
      expectCleanBody(res, ['payments', 'foreign', '23503']);
    });
  });

  describe('without credentials', () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await createTestApp();
    });
    after(() => testApp.close());

    it('when a protected route gets no token, then 401 "Invalid or expired token" with WWW-Authenticate: Bearer', async () => {
      const res = await testApp.http.post('/api/v1/plans').send(validPlan());
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
      expect(res.headers['www-authenticate']).to.equal('Bearer');
      expectCleanBody(res, ['jwt', 'jsonwebtoken']);
    });
  });

  describe('a real database error', () => {
    // An empty database of our own: the real query fails for real (relation does not exist)
    // without touching the schema other suites use.
    const name = `cybervpn_test_empty_${process.pid}`;
    let testApp: TestApp;

    before(async () => {
      await dropTestDatabase(name, { andCreate: true });
      testApp = await createTestApp({ DATABASE_URL: testDatabaseUrl(name) });
    });
    after(async () => {
      await testApp?.close();
      await dropTestDatabase(name);
    });

    it('when the query fails in PostgreSQL, then 500 "Internal server error" with no SQL, table, stack or path, and the log holds the whole error', async () => {
      const res = await testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-db-error-0001');
      expect(res.status).to.equal(500);
      expect(res.body).to.deep.equal({ detail: 'Internal server error' });
      expectCleanBody(res, ['relation', 'does not exist', '42P01', 'sort_order']);
      const entries = testApp.logs.withRequestId('req-db-error-0001');
      const failure = entries.find((entry) => entry.level === 'error');
      expect(failure, 'an error line under the request id').to.exist;
      expect(failure).to.include({ status: 500, route: '/api/v1/plans', method: 'GET' });
      const error = failure!.error as Record<string, unknown>;
      expect(error.code).to.equal('42P01');
      expect(error.message).to.include('subscription_plans').and.include('does not exist');
      expect(error.stack).to.be.a('string');
    });
  });

  describe('the database unreachable', () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await createTestApp({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/qzdb' });
    });
    after(() => testApp.close());

    it('when PostgreSQL refuses connections, then GET /api/v1/plans is 503 "Service temporarily unavailable" with Retry-After', async () => {
      const res = await testApp.http.get('/api/v1/plans').set('X-Request-ID', 'req-db-down-0001');
      expect(res.status).to.equal(503);
      expect(res.body).to.deep.equal({ detail: 'Service temporarily unavailable' });
      expect(Number(res.headers['retry-after'])).to.be.at.least(1);
      expectCleanBody(res, ['127.0.0.1', 'ECONNREFUSED', 'qzdb', 'database', 'postgres']);
      const entries = testApp.logs.withRequestId('req-db-down-0001');
      const failure = entries.find((entry) => entry.level === 'error');
      expect(JSON.stringify(failure?.error)).to.include('ECONNREFUSED');
      // knex's own complaint goes through our logger (not raw text on stdout), under the request id.
      const knexWarning = entries.find((entry) => entry.message === 'knex warning');
      expect(String(knexWarning?.detail)).to.include('ECONNREFUSED');
    });
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { FakeAuthenticator } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request id and access log', function () {
  this.timeout(30_000);
  let testApp: TestApp;
  const auth = new FakeAuthenticator();

  before(async () => {
    testApp = await createTestApp({ LOG_LEVEL: 'debug' }, (container) => auth.register(container));
  });
  beforeEach(async () => {
    await testApp.reset();
    await auth.actAsNewAdmin(testApp.container);
  });
  after(() => testApp.close());

  const accessLines = () => testApp.logs.entries.filter((entry) => entry.message === 'request' && entry.level === 'http');

  describe('X-Request-ID', () => {
    for (const id of ['abc-123_XYZ.01:zz', 'a'.repeat(128), randomUUID()]) {
      it(`when the client sends a well-formed id (${id.slice(0, 20)}), then it is echoed`, async () => {
        const res = await testApp.http.get('/health').set('X-Request-ID', id);
        expect(res.status).to.equal(200);
        expect(res.headers['x-request-id']).to.equal(id);
      });
    }

    it('when the client sends none, then a UUID is generated, different for each request', async () => {
      const first = await testApp.http.get('/health');
      const second = await testApp.http.get('/health');
      expect(first.headers['x-request-id']).to.match(UUID);
      expect(second.headers['x-request-id']).to.match(UUID);
      expect(first.headers['x-request-id']).not.to.equal(second.headers['x-request-id']);
    });

    for (const [why, id] of [
      ['too long', 'a'.repeat(129)],
      ['too short', 'abc1234'],
      ['spaces and punctuation', 'abc def!!<script>'],
      ['a newline-free injection attempt', 'req-1"}{"admin":true'],
      ['non-ASCII', 'caf\u00e9-latin1-id'],
    ] as const) {
      it(`when the client's id is malformed (${why}), then a UUID replaces it`, async () => {
        const res = await testApp.http.get('/health').set('X-Request-ID', id);
        expect(res.headers['x-request-id']).to.match(UUID);
        const line = accessLines().at(-1);
        expect(line?.request_id).to.equal(res.headers['x-request-id']);
      });
    }

    it('when a request fails anywhere (404, 400, 413), then the response still carries the id', async () => {
      const responses = [
        await testApp.http.get('/nope').set('X-Request-ID', 'req-404-00000001'),
        await testApp.http.post('/api/v1/plans').set('Content-Type', 'application/json').set('X-Request-ID', 'req-400-00000001').send('{'),
        await testApp.http
          .post('/api/v1/plans')
          .set('Content-Type', 'application/json')
          .set('X-Request-ID', 'req-413-00000001')
          .send(JSON.stringify({ a: 'x'.repeat(200 * 1024) })),
      ];
      expect(responses.map((res) => [res.status, res.headers['x-request-id']])).to.deep.equal([
        [404, 'req-404-00000001'],
        [400, 'req-400-00000001'],
        [413, 'req-413-00000001'],
      ]);
    });

    it('when a request is refused by the body parser, then the log line of the refusal carries its request id', async () => {
      await testApp.http.post('/api/v1/plans').set('Content-Type', 'application/json').set('X-Request-ID', 'req-malformed-0001').send('{');
      const refused = testApp.logs.withRequestId('req-malformed-0001').find((entry) => entry.message === 'request refused');
      expect(refused).to.include({ level: 'debug', status: 400, error_code: 'malformed_json' });
    });
  });

  describe('access log', () => {
    it('when a route with a parameter answers, then one access line has method, the route template, status, duration_ms, request_id and admin_id', async () => {
      const id = randomUUID();
      const res = await testApp.http.patch(`/api/v1/plans/${id}`).set('X-Request-ID', 'req-access-0001').send({ name: 'x' });
      expect(res.status).to.equal(404);
      const lines = accessLines().filter((entry) => entry.request_id === 'req-access-0001');
      expect(lines).to.have.length(1);
      const line = lines[0]!;
      expect(line).to.include({
        method: 'PATCH',
        route: '/api/v1/plans/:id',
        status: 404,
        request_id: 'req-access-0001',
        admin_id: auth.adminId,
      });
      expect(line.duration_ms).to.be.a('number').and.at.least(0);
      expect(JSON.stringify(line)).not.to.include(id);
    });

    it('when a public route answers, then the access line has no admin id', async () => {
      await testApp.http.get('/api/v1/plans?page=2').set('X-Request-ID', 'req-access-0002');
      const line = accessLines().find((entry) => entry.request_id === 'req-access-0002');
      expect(line).to.include({ method: 'GET', route: '/api/v1/plans', status: 200 });
      expect(line?.admin_id).to.equal(undefined);
      expect(JSON.stringify(line)).not.to.include('page=2');
    });

    it('when no route matches, then the access line says (unmatched) instead of the raw URL', async () => {
      await testApp.http.get('/api/v1/users/12345/secret-path').set('X-Request-ID', 'req-access-0003');
      const line = accessLines().find((entry) => entry.request_id === 'req-access-0003');
      expect(line).to.include({ method: 'GET', route: '(unmatched)', status: 404 });
      expect(JSON.stringify(line)).not.to.include('secret-path');
    });

    it('when the body parser refuses a request, then it is logged too', async () => {
      await testApp.http
        .post('/api/v1/plans')
        .set('Content-Type', 'application/json')
        .set('X-Request-ID', 'req-access-0004')
        .send(JSON.stringify({ a: 'x'.repeat(200 * 1024) }));
      const line = accessLines().find((entry) => entry.request_id === 'req-access-0004');
      expect(line).to.include({ method: 'POST', status: 413 });
    });
  });
});

import { expect } from 'chai';
import supertest from 'supertest';
import { loadConfig } from '../../../src/config';
import { MAX_HEADER_BYTES, MAX_QUERY_PARAMETERS } from '../../../src/http/input-limits';
import { startServer, type RunningServer } from '../../../src/server';
import { testEnv } from '../../support/env';
import { createEdgeApp, CREDENTIAL_PATH, WEBHOOK_PATH, type EdgeApp } from './edge-app';

describe('HTTP edge: limits on input', function () {
  this.timeout(30_000);

  describe('in the app', () => {
    let t: EdgeApp;
    before(async () => {
      t = await createEdgeApp({ BODY_LIMIT: '1kb' });
    });
    beforeEach(() => t.reset());
    after(() => t.close());

    it('when a JSON body is over BODY_LIMIT, then it is refused with 413 before any route runs', async () => {
      const res = await t.edge.post(CREDENTIAL_PATH).send({ login: 'x'.repeat(2000) });
      expect(res.status).to.equal(413);
      expect(res.body).to.deep.equal({ detail: 'Payload too large' });
    });

    it('when a JSON body is malformed, then it is refused with 400', async () => {
      const res = await t.edge.post(CREDENTIAL_PATH).set('Content-Type', 'application/json').send('{"login":');
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ detail: 'Malformed JSON body' });
    });

    it('when a route that takes a body gets something other than JSON, then it answers 415', async () => {
      for (const [type, body] of [
        ['text/plain', 'login=x'],
        ['application/x-www-form-urlencoded', 'login=x'],
      ] as const) {
        const res = await t.edge.post(CREDENTIAL_PATH).set('Content-Type', type).send(body);
        expect(res.status, type).to.equal(415);
        expect(res.body, type).to.deep.equal({ detail: 'Content-Type must be application/json' });
      }
    });

    it('when a scalar query parameter is repeated, then it is a 422, not an array reaching the handler', async () => {
      const res = await t.http.get('/api/v1/plans?page=1&page=2');
      expect(res.status).to.equal(422);
      expect(res.body.detail[0]).to.include({ type: 'number.base' });
      expect(res.body.detail[0].loc).to.deep.equal(['query', 'page']);
    });

    it(`when a query string holds more than ${MAX_QUERY_PARAMETERS} parameters, then it is refused before anything parses it`, async () => {
      const atLimit = await t.http.get(`/api/v1/plans?${Array.from({ length: MAX_QUERY_PARAMETERS }, () => 'page=1').join('&')}`);
      expect(atLimit.status).to.equal(422);
      expect(atLimit.body.detail[0].type).to.equal('number.base');

      const started = Date.now();
      const res = await t.http.get(`/api/v1/plans?${Array.from({ length: 2000 }, () => `a=1`).join('&')}`);
      expect(res.status).to.equal(422);
      expect(res.body).to.deep.equal({
        detail: [{ loc: ['query'], msg: `at most ${MAX_QUERY_PARAMETERS} query parameters are accepted`, type: 'query.parameters.max' }],
      });
      expect(Date.now() - started).to.be.below(1000);
    });

    it('when a webhook is posted, then its handler sees the exact raw bytes (for the signature check)', async () => {
      const raw = '{"update_id": 1,  "payload":{"b":2,"a":1}}';
      const res = await t.edge.post(WEBHOOK_PATH).set('Content-Type', 'application/json').send(raw);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ raw });
    });
  });

  describe('in the HTTP server', () => {
    let running: RunningServer;
    let http: ReturnType<typeof supertest>;
    before(async () => {
      running = await startServer(loadConfig(testEnv()));
      http = supertest(`http://127.0.0.1:${running.port}`);
    });
    after(() => running.stop());

    it('when the URL is longer than the header budget, then Node refuses it with 431 in our error shape', async () => {
      const res = await http.get(`/api/v1/plans?page=${'1'.repeat(MAX_HEADER_BYTES)}`);
      expect(res.status).to.equal(431);
      expect(res.body).to.deep.equal({ detail: 'Request header fields too large' });
      expect(res.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    });

    it('when the headers are larger than the budget, then the request is refused with 431', async () => {
      const res = await http.get('/health').set('X-Padding', 'x'.repeat(MAX_HEADER_BYTES));
      expect(res.status).to.equal(431);
      expect(res.body).to.deep.equal({ detail: 'Request header fields too large' });
    });

    it('when a request is not HTTP at all, then it is answered 400 in our error shape', async () => {
      const net = await import('node:net');
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(running.port, '127.0.0.1', () => socket.write('NOT HTTP\r\n\r\n'));
        let data = '';
        socket.on('data', (chunk) => (data += chunk.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      expect(answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).to.match(/\r\n\r\n\{"detail":"Bad request"\}$/);
    });

    it('when sizes are within the budget, then the request is served normally', async () => {
      const res = await http.get('/health').set('X-Padding', 'x'.repeat(4096));
      expect(res.status).to.equal(200);
    });
  });
});

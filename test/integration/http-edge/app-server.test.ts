import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { loadConfig } from '../../../src/config';
import { createAppServer } from '../../../src/http/app-server';
import { startServer, type RunningServer } from '../../../src/server';
import { testEnv } from '../../support/env';

interface Seen {
  requestPrototype: unknown;
  responsePrototype: unknown;
}

/** The prototypes a request and its response have when the server hands them over, before Express sees them. */
function watchPrototypes(server: http.Server): Seen[] {
  const seen: Seen[] = [];
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ requestPrototype: Object.getPrototypeOf(req), responsePrototype: Object.getPrototypeOf(res) });
  });
  return seen;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('HTTP edge: the app server builds requests and responses with the app\'s own prototypes', function () {
  this.timeout(30_000);

  it('when a request arrives, then it and its response already have app.request and app.response as prototypes', async () => {
    const app = express();
    app.set('trust proxy', false);
    app.post('/echo', express.json(), (req, res) => {
      res.status(201).set('X-Seen-Ip', req.ip).json({ body: req.body as unknown, path: req.path, instance: req instanceof http.IncomingMessage && res instanceof http.ServerResponse });
    });
    const server = createAppServer(app);
    const seen = watchPrototypes(server);
    const port = await listen(server);
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/echo?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
      expect(answer.status).to.equal(201);
      expect(answer.headers.get('x-seen-ip')).to.equal('127.0.0.1');
      expect(await answer.json()).to.deep.equal({ body: { a: [1, 2] }, path: '/echo', instance: true });
      expect(seen).to.have.length(1);
      expect(seen[0]!.requestPrototype).to.equal(app.request);
      expect(seen[0]!.responsePrototype).to.equal(app.response);
    } finally {
      await close(server);
    }
  });

  it('when the server is created, then the options it is given still apply (maxHeaderSize)', async () => {
    const app = express();
    app.get('/', (_req, res) => res.send('ok'));
    const server = createAppServer(app, { maxHeaderSize: 1024 });
    const port = await listen(server);
    try {
      const small = await fetch(`http://127.0.0.1:${port}/`);
      expect(small.status).to.equal(200);
      const large = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-padding': 'p'.repeat(2048) } });
      expect(large.status).to.equal(431);
    } finally {
      await close(server);
    }
  });

  describe('the API process', () => {
    let running: RunningServer;
    before(async () => {
      running = await startServer(loadConfig(testEnv()));
    });
    after(() => running.stop());

    it('when the API process serves a request, then its request arrives with the app\'s prototype', async () => {
      const seen = watchPrototypes(running.server);
      const answer = await fetch(`http://127.0.0.1:${running.port}/health`);
      expect(answer.status).to.equal(200);
      expect(await answer.json()).to.deep.equal({ status: 'ok' });
      expect(seen).to.have.length(1);
      const [listener] = running.server.listeners('request').slice(1) as Array<express.Express>;
      expect(seen[0]!.requestPrototype).to.equal(listener!.request);
      expect(seen[0]!.responsePrototype).to.equal(listener!.response);
    });
  });
});

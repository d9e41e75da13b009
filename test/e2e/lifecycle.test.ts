import net from 'node:net';
import { expect } from 'chai';
import knex from 'knex';
import { knexConfig } from '../../src/infrastructure/db/knex';
import { testDatabaseUrl } from '../support/database';
import { testEnv } from '../support/env';
import { connectionRefused, freePort, startApiProcess, waitForHealth, type ApiProcess } from './api-process';

/** One HTTP/1.1 response read off a raw socket: status, headers and exactly Content-Length bytes of body. */
interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function parseResponse(raw: string): RawResponse | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = raw.slice(end + 4);
  const length = Number(headers['content-length'] ?? NaN);
  if (Number.isNaN(length) || Buffer.byteLength(body) < length) return null;
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]), headers, body };
}

/** A raw client: resolves each "wait for" once the bytes received so far satisfy it. */
class RawClient {
  readonly socket: net.Socket;
  private received = '';
  private waiters: Array<() => void> = [];
  closedWith: Error | null | undefined;

  constructor(port: number) {
    this.socket = net.connect({ port, host: '127.0.0.1' });
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.received += chunk;
      this.notify();
    });
    this.socket.on('error', (error) => {
      this.closedWith = error;
      this.notify();
    });
    this.socket.on('close', () => {
      this.closedWith ??= null;
      this.notify();
    });
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  waitFor<T>(check: (received: string) => T | null | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check(this.received);
        if (value !== null && value !== undefined) {
          this.waiters = this.waiters.filter((waiter) => waiter !== attempt);
          resolve(value);
        } else if (this.closedWith !== undefined) {
          reject(new Error(`connection closed (${this.closedWith?.message ?? 'by the server'}) after: ${JSON.stringify(this.received)}`));
        }
      };
      this.waiters.push(attempt);
      attempt();
    });
  }

  send(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(text, (error) => (error ? reject(error) : resolve())));
  }
}

async function waitUntilRefused(port: number, attempts = 300): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (await connectionRefused(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

describe('API process lifecycle (child process)', function () {
  this.timeout(60_000);
  let api: ApiProcess | undefined;

  afterEach(async () => {
    if (api && api.child.exitCode === null && api.child.signalCode === null) {
      api.child.kill('SIGKILL');
      await api.exited;
    }
    api = undefined;
  });

  it('when SIGTERM arrives during a request, then new connections are refused, the request completes, and the process exits 0', async () => {
    const port = await freePort();
    api = startApiProcess(testEnv({ PORT: String(port), LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '30s' }));
    await waitForHealth(port, api);

    const body = JSON.stringify({ name: 'Drain test plan', tier: 'standard', duration_days: 30, price: 4.99, currency: 'USD' });
    // The answer the same request gets with nobody shutting down: whatever it is (auth decides),
    // the in-flight copy must get exactly that, not a reset.
    const reference = await fetch(`http://127.0.0.1:${port}/api/v1/plans`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    const referenceBody = await reference.text();

    const client = new RawClient(port);
    await client.send(
      'POST /api/v1/plans HTTP/1.1\r\n' +
        `Host: 127.0.0.1:${port}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'X-Request-ID: req-in-flight-0001\r\n' +
        'Expect: 100-continue\r\n\r\n',
    );
    // The server parsed the head: the request is in flight from here on.
    await client.waitFor((received) => (received.startsWith('HTTP/1.1 100 Continue\r\n\r\n') ? true : null));
    const half = Math.floor(body.length / 2);
    await client.send(body.slice(0, half));

    api.child.kill('SIGTERM');
    expect(await waitUntilRefused(port), 'new connections refused after SIGTERM').to.equal(true);
    expect(api.child.exitCode, 'the process waits for the request in flight').to.equal(null);

    await client.send(body.slice(half));
    const response = await client.waitFor((received) => parseResponse(received.replace('HTTP/1.1 100 Continue\r\n\r\n', '')));
    expect(response.status).to.equal(reference.status);
    expect(response.body).to.equal(referenceBody);
    expect(response.headers['x-request-id']).to.equal('req-in-flight-0001');
    // The server says it will not reuse the connection, and closes it itself.
    expect(response.headers.connection).to.equal('close');
    await client.waitFor(() => (client.closedWith !== undefined ? true : null)).catch(() => true);
    expect(client.closedWith === undefined, 'the server closed the drained connection').to.equal(false);

    expect(await api.exited).to.equal(0);
    const lines = api.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.message)).to.include.members([
      'signal received',
      'shutting down: draining in-flight requests',
      'http server closed; closing pools',
    ]);
    expect(lines.find((line) => line.message === 'signal received')).to.include({ signal: 'SIGTERM' });
  });

  it('when a fresh process is first asked for the docs init script, then it already points at /openapi.json', async () => {
    // swagger-ui-express keeps page options in module state; a process that never rendered the
    // page must still serve a working script (several API processes behind one balancer).
    const port = await freePort();
    api = startApiProcess(testEnv({ PORT: String(port), DOCS_ENABLED: 'true' }));
    await waitForHealth(port, api);
    const init = await fetch(`http://127.0.0.1:${port}/docs/swagger-ui-init.js`);
    expect(init.status).to.equal(200);
    expect(await init.text()).to.include('"url": "/openapi.json"');
    api.child.kill('SIGTERM');
    expect(await api.exited).to.equal(0);
  });

  it('when SIGINT arrives on an idle server, then the process exits 0', async () => {
    const port = await freePort();
    api = startApiProcess(testEnv({ PORT: String(port), LOG_LEVEL: 'info' }));
    await waitForHealth(port, api);
    api.child.kill('SIGINT');
    expect(await api.exited).to.equal(0);
    expect(api.stdout()).to.include('"signal":"SIGINT"');
    expect(await connectionRefused(port)).to.equal(true);
  });

  it('when SIGTERM arrives while a keep-alive connection sits idle, then the process still exits 0', async () => {
    const port = await freePort();
    api = startApiProcess(testEnv({ PORT: String(port), LOG_LEVEL: 'info' }));
    await waitForHealth(port, api);
    const client = new RawClient(port);
    await client.send(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    const response = await client.waitFor(parseResponse);
    expect(response.status).to.equal(200);
    expect(response.headers.connection).to.equal('keep-alive');
    api.child.kill('SIGTERM');
    expect(await api.exited).to.equal(0);
    await client.waitFor(() => (client.closedWith !== undefined ? true : null)).catch(() => true);
    expect(client.closedWith === undefined, 'the idle connection was closed by the server').to.equal(false);
  });

  it('when a client hangs up while its handler still queries and SIGTERM arrives, then the pool closes only after the query, with no error', async () => {
    const port = await freePort();
    // One connection: the handler's second query waits for the pool, as under load.
    api = startApiProcess(testEnv({ PORT: String(port), LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '30s', DATABASE_POOL_MAX: '1' }));
    await waitForHealth(port, api);
    // Hold a lock the plans query must wait for: its handler is then busy in the database.
    const db = knex(knexConfig({ url: testDatabaseUrl(), poolMax: 1 }));
    const trx = await db.transaction();
    try {
      await trx.raw('LOCK TABLE subscription_plans IN ACCESS EXCLUSIVE MODE');
      const client = net.connect(port, '127.0.0.1');
      await new Promise((resolve) => client.once('connect', resolve));
      client.write(`GET /api/v1/plans HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      client.destroy();
      api.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(api.child.exitCode, 'still waiting for the busy handler').to.equal(null);
    } finally {
      await trx.commit();
      await db.destroy();
    }
    expect(await api.exited).to.equal(0);
    expect(api.stdout()).to.not.include('request failed');
    expect(api.stdout()).to.not.include('knex warning');
  });

  it('when a request is still unfinished at the shutdown deadline, then its connection is closed and the process still exits 0', async () => {
    const port = await freePort();
    api = startApiProcess(testEnv({ PORT: String(port), LOG_LEVEL: 'info', SHUTDOWN_TIMEOUT: '1s' }));
    await waitForHealth(port, api);
    const client = new RawClient(port);
    await client.send(
      `POST /api/v1/plans HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n',
    );
    await client.waitFor((received) => (received.startsWith('HTTP/1.1 100 Continue') ? true : null));
    await client.send('{"name": "never finished');
    api.child.kill('SIGTERM');
    expect(await api.exited).to.equal(0);
    await client.waitFor(() => (client.closedWith !== undefined ? true : null)).catch(() => true);
    expect(client.closedWith === undefined, 'the stuck connection was closed').to.equal(false);
    expect(api.stdout()).to.include('shutdown deadline reached');
  });

  it('when the port is already taken, then the process exits 1 with one line and no stack', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      api = startApiProcess(testEnv({ PORT: String(port) }));
      expect(await api.exited).to.equal(1);
      expect(api.stderr()).to.match(/^API failed to start: .*EADDRINUSE/m);
      expect(api.stderr(), api.stderr()).not.to.match(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('when Redis is unreachable at start-up, then the API still starts, says so, and reports not ready', async () => {
    const port = await freePort();
    api = startApiProcess(testEnv({ PORT: String(port), LOG_LEVEL: 'info', REDIS_URL: 'redis://127.0.0.1:1/0' }));
    await waitForHealth(port, api);
    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).to.equal(503);
    expect(await ready.json()).to.deep.equal({ status: 'unavailable', components: { database: 'up', redis: 'down' } });
    expect(api.stdout()).to.include('redis not reachable at start-up');
    api.child.kill('SIGTERM');
    expect(await api.exited).to.equal(0);
  });
});

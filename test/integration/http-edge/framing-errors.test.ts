import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { CapturedLogs } from '../../support/captured-logs';
import { testEnv } from '../../support/env';
import { freePort, startApiProcess, waitForHealth } from '../../e2e/api-process';
import { exchangeRaw } from './raw-http';

interface ParsedAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a raw socket received into the first response's status, headers and body. */
function parseAnswer(raw: string): ParsedAnswer {
  const end = raw.indexOf('\r\n\r\n');
  expect(end, `no complete HTTP response in: ${JSON.stringify(raw)}`).to.be.greaterThan(0);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

function expectOurShape(answer: ParsedAnswer, status: number, detail: string): void {
  expect(answer.status).to.equal(status);
  expect(answer.headers['content-type']).to.equal('application/json; charset=utf-8');
  expect(answer.headers.connection).to.equal('close');
  expect(answer.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  expect(Number(answer.headers['content-length'])).to.equal(Buffer.byteLength(answer.body));
  expect(JSON.parse(answer.body)).to.deep.equal({ detail });
}

const chunked = (method: string, path: string, chunks: string) =>
  `${method} ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}`;

describe('HTTP edge: framing errors of the HTTP parser, answered in our shape', function () {
  this.timeout(30_000);
  let running: RunningServer;
  let logs: CapturedLogs;

  before(async () => {
    running = await startServer(loadConfig(testEnv()));
    logs = new CapturedLogs();
    running.container.cradle.logger.add(logs);
  });
  beforeEach(() => logs.clear());
  after(() => running.stop());

  for (const [label, method, path] of [
    ['a credential route', 'POST', '/api/v1/auth/login'],
    ['an authenticated body route', 'POST', '/api/v1/plans'],
    ['a route that is not there', 'POST', '/api/v1/nowhere'],
    ['a webhook route', 'POST', '/api/v1/webhooks/remnawave'],
  ] as const) {
    it(`when a chunked body on ${label} has an invalid chunk size, then it is 400 {detail} and Connection: close`, async () => {
      const raw = await exchangeRaw(running.port, chunked(method, path, '5\r\n{"a":\r\nzz\r\n1}\r\n0\r\n\r\n'));
      expectOurShape(parseAnswer(raw), 400, 'Bad request');
    });
  }

  it('when the invalid chunk arrives after the headers, in a later packet, then it is still answered 400', async () => {
    const net = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      let data = '';
      const socket = net.connect(running.port, '127.0.0.1', () => {
        socket.write(chunked('POST', '/api/v1/auth/login', '4\r\n{"a"\r\n'));
        setTimeout(() => socket.write('nothex\r\n\r\n'), 200);
      });
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expectOurShape(parseAnswer(raw), 400, 'Bad request');
  });

  it('when a chunk extension is too long, then it is 413 in our shape', async () => {
    const raw = await exchangeRaw(running.port, chunked('POST', '/api/v1/auth/login', `1;${'x'.repeat(20_000)}\r\n`));
    expectOurShape(parseAnswer(raw), 413, 'Payload too large');
  });

  it('when a header name holds an invalid character, then it is 400 in our shape', async () => {
    const raw = await exchangeRaw(running.port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n');
    expectOurShape(parseAnswer(raw), 400, 'Bad request');
  });

  it('when both Content-Length and Transfer-Encoding are sent (request smuggling shape), then it is 400 in our shape', async () => {
    const raw = await exchangeRaw(
      running.port,
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expectOurShape(parseAnswer(raw), 400, 'Bad request');
  });

  it('when the headers overflow the budget, then it is 431 in our shape', async () => {
    const raw = await exchangeRaw(running.port, `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${'x'.repeat(20_000)}\r\n\r\n`);
    expectOurShape(parseAnswer(raw), 431, 'Request header fields too large');
  });

  it('when a request was answered before its body turned out broken, then that answer stays intact and the socket closes', async () => {
    // /health answers without reading a non-JSON body: the bad chunk comes after a complete response.
    const net = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      let data = '';
      const socket = net.connect(running.port, '127.0.0.1', () =>
        socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n'),
      );
      socket.once('data', () => socket.write('zz\r\n'));
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    const first = parseAnswer(raw);
    expect(first.status).to.equal(200);
    expect(first.body.slice(0, Number(first.headers['content-length']))).to.equal('{"status":"ok"}');
    // What follows the complete answer, if anything, is the refusal of the broken remainder.
    const rest = first.body.slice(Number(first.headers['content-length']));
    if (rest) expectOurShape(parseAnswer(rest), 400, 'Bad request');
  });

  it('when a framing error interrupts a request, then the server logs no error and keeps serving', async () => {
    await exchangeRaw(running.port, chunked('POST', '/api/v1/plans', '2\r\n{}\r\nzz\r\n'));
    await exchangeRaw(running.port, chunked('POST', '/api/v1/auth/login', '2\r\n{}\r\nzz\r\n'));
    const res = await fetch(`http://127.0.0.1:${running.port}/health`);
    expect(res.status).to.equal(200);
    expect(logs.entries.filter((entry) => entry.level === 'error')).to.deep.equal([]);
  });

  it('when the API runs as its own process (the entry point npm start runs), then an invalid chunk size is answered 400 there too', async function () {
    this.timeout(60_000);
    const port = await freePort();
    const api = startApiProcess(testEnv({ PORT: String(port) }));
    try {
      await waitForHealth(port, api);
      const raw = await exchangeRaw(port, chunked('POST', '/api/v1/auth/login', '5\r\n{"a":\r\nzz\r\n'));
      expectOurShape(parseAnswer(raw), 400, 'Bad request');
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });
});

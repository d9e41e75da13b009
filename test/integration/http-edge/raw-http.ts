import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * Requests with exactly the bytes and headers a test chooses. supertest re-serialises a Buffer
 * sent as application/json, and fetch refuses some headers; the edge must be tested with what a
 * hostile client can really put on the wire.
 */
export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface RawRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: Buffer | string;
  /** Milliseconds before the request counts as hung (it then rejects). */
  readonly timeoutMs?: number;
}

export function sendRaw(port: number, request: RawRequest): Promise<RawResponse> {
  // Node frames a body of GET or DELETE by closing the connection, which no real client does: say its length.
  const headers = { ...request.headers };
  const named = Object.keys(headers).map((name) => name.toLowerCase());
  if (request.body !== undefined && !named.includes('content-length') && !named.includes('transfer-encoding')) {
    headers['Content-Length'] = String(Buffer.byteLength(request.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: request.method, path: request.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(request.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer within ${request.timeoutMs ?? 15_000} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Writes `bytes` on a fresh TCP connection and resolves with everything the server sent before closing. */
export function exchangeRaw(port: number, bytes: string | Buffer, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connection still open after ${timeoutMs} ms; got: ${data}`)));
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('close', () => resolve(data));
    // A server that resets after answering still answered: the test looks at what arrived.
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(data) : reject(error)));
  });
}

/** Serves an Express app (or any listener) on an ephemeral port for raw requests. */
export async function listen(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

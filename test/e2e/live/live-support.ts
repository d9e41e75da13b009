import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { LiveGateway } from '../../../src/modules/live/live-gateway';
import { sha256Hex } from '../../../src/shared/secrets';
import { generateApiKey } from '../../../src/modules/api-keys/api-key-format';
import type { Role } from '../../../src/shared/permissions';
import { createTestApp, type TestApp } from '../../support/test-app';

/** The real app and its monitoring gateway on a real listening server, as src/server.ts wires them. */
export interface LiveApp {
  readonly t: TestApp;
  readonly gateway: LiveGateway;
  readonly port: number;
  close(): Promise<void>;
}

export async function startLiveApp(env: Record<string, string> = {}): Promise<LiveApp> {
  const t = await createTestApp({ WS_PRINCIPAL_RECHECK_INTERVAL: '1s', WS_PING_INTERVAL: '1s', ...env });
  const server = http.createServer(t.app);
  const gateway = new LiveGateway(t.container);
  gateway.attach(server);
  await gateway.ready;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    t,
    gateway,
    port,
    close: async () => {
      await gateway.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await t.close();
    },
  };
}

export async function ticketFor(t: TestApp, auth: Record<string, string>): Promise<string> {
  const res = await t.http.post('/api/v1/ws/ticket').set(auth);
  if (res.status !== 200) throw new Error(`ticket refused: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { ticket: string }).ticket;
}

/** A live API key of `role`, inserted as POST /admins/api-keys stores one. */
export async function apiKeyOf(t: TestApp, role: Role): Promise<{ id: string; bearer: { Authorization: string } }> {
  const { key, publicId } = generateApiKey();
  const listing = await t.container.cradle.apiKeyRepository.insert({ public_id: publicId, name: `live-${publicId}`, role, key_hash: sha256Hex(key), created_by: null, expires_at: null });
  return { id: listing.id, bearer: { Authorization: `Bearer ${key}` } };
}

export type Frame = Record<string, unknown> & { type: string };

/** A monitoring client: every frame it got, and what ended the connection. */
export interface LiveClientHandle {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** The close code and reason once closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  next(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  subscribe(topics: string[]): Promise<Frame>;
}

export function connect(port: number, ticket: string, options: ClientOptions = {}): Promise<LiveClientHandle> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws/monitoring?ticket=${encodeURIComponent(ticket)}`, options);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const next = async (predicate: (frame: Frame) => boolean, timeoutMs = 20_000): Promise<Frame> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = frames.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such frame; got ${JSON.stringify(frames)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const handle: LiveClientHandle = {
    ws,
    frames,
    closed,
    next,
    subscribe: (topics) => {
      const before = frames.length;
      ws.send(JSON.stringify({ type: 'subscribe', topics }));
      return next((frame) => frame.type === 'available_topics' && frames.indexOf(frame) >= before);
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(handle));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body: JSON.parse(body) as unknown, headers: res.headers })));
    });
    ws.once('error', reject);
  });
}

/** The refusal of an upgrade: its HTTP status and JSON body. */
export async function refusal(attempt: Promise<unknown>): Promise<{ status: number; body: { detail: string } }> {
  try {
    await attempt;
  } catch (error) {
    const { status, body } = error as { status?: number; body?: { detail: string } };
    if (status !== undefined && body) return { status, body };
    throw error;
  }
  throw new Error('the upgrade was accepted');
}

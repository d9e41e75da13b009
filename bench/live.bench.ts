import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { liveEventsChannel } from '../src/modules/live/live-events';
import type { Config } from '../src/config';
import { cleanUp, forkServer, percentile, prepareDatabase, REDIS_PREFIX, REDIS_URL, serverEnv, signIn, stopServers, type Server } from './support';

/**
 * WebSocket fan-out benchmark (npm run bench:live), issue 11.
 *
 * Two real API processes (bench/auth-server.ts: src/server.ts, NODE_ENV=production) on one
 * PostgreSQL and one Redis; BENCH_CLIENTS (500) monitoring sockets, alternating between them,
 * each subscribed to `servers`. This driver publishes events on the live channel from its own
 * Redis connection (what the webhook worker's LiveEvents does) at each rate of BENCH_RATES
 * (events/s) for BENCH_DURATION s, and times each delivery from publish to receipt on the same
 * clock (the driver is publisher and every client). Reported per rate: deliveries/s, the share
 * delivered, p50/p99/max latency. Everything (both APIs, Redis, PostgreSQL, the 500 clients)
 * shares this machine's 2 cores: the driver's own parsing of every frame is part of the cost.
 *
 * Knobs: BENCH_CLIENTS (500), BENCH_RATES (5,20,100,500), BENCH_DURATION (s, 5), BENCH_SESSIONS (10).
 */
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const RATES = (process.env.BENCH_RATES ?? '5,20,100,500').split(',').map(Number);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10);
const TICK_MS = 10;

const now = () => performance.timeOrigin + performance.now();

async function ticket(port: number, token: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/ws/ticket`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`ticket refused: ${res.status}`);
  return ((await res.json()) as { ticket: string }).ticket;
}

interface Run {
  latencies: number[];
  received: number;
}

function openClient(port: number, ticketValue: string, onEvent: (sentAt: number) => void): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws/monitoring?ticket=${ticketValue}`);
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics: ['servers'] })));
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { type: string; data?: { sent_at: number } };
      if (frame.type === 'available_topics') resolve(ws);
      else if (frame.type === 'event') onEvent(frame.data!.sent_at);
    });
  });
}

async function main(): Promise<void> {
  await prepareDatabase();
  const servers: Server[] = [];
  const sockets: WebSocket[] = [];
  const publisher = new Redis(REDIS_URL);
  try {
    const env = serverEnv({ WS_MAX_CONNECTIONS_PER_ADMIN: '100', WS_MAX_BUFFERED_BYTES: String(8 * 1024 * 1024), LOG_LEVEL: 'warn' });
    for (const label of ['api-1', 'api-2']) servers.push(await forkServer('bench/auth-server.ts', [], env, label));
    const tokens: string[] = [];
    for (let n = 0; n < SESSIONS; n += 1) tokens.push(await signIn(servers[0]!.port));

    let run: Run = { latencies: [], received: 0 };
    const onEvent = (sentAt: number) => {
      run.received += 1;
      run.latencies.push(now() - sentAt);
    };
    for (let n = 0; n < CLIENTS; n += 1) {
      const port = servers[n % 2]!.port;
      sockets.push(await openClient(port, await ticket(port, tokens[n % SESSIONS]!), onEvent));
    }
    const channel = liveEventsChannel({ redis: { url: REDIS_URL, keyPrefix: REDIS_PREFIX } } as Config);
    console.log(`live fan-out: ${CLIENTS} clients on 2 API processes, ${DURATION_S} s per rate, one event = one delivery per client`);
    console.log('rate (events/s) | deliveries/s | delivered | p50 ms | p99 ms | max ms');
    for (const rate of RATES) {
      run = { latencies: [], received: 0 };
      const total = rate * DURATION_S;
      let published = 0;
      const started = now();
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          const due = Math.min(total, Math.floor(((now() - started) / 1000) * rate));
          for (; published < due; published += 1) {
            void publisher.publish(channel, JSON.stringify({ topic: 'servers', data: { event: 'bench', seq: published, sent_at: now() } }));
          }
          if (published >= total) {
            clearInterval(timer);
            resolve();
          }
        }, TICK_MS);
      });
      const expected = total * CLIENTS;
      const deadline = now() + 30_000;
      while (run.received < expected && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const elapsedS = (now() - started) / 1000;
      const sorted = [...run.latencies].sort((a, b) => a - b);
      console.log(
        `${rate} | ${Math.round(run.received / elapsedS)} | ${((100 * run.received) / expected).toFixed(1)}% | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${sorted.at(-1)?.toFixed(1)}`,
      );
    }
  } finally {
    for (const ws of sockets) ws.terminate();
    publisher.disconnect();
    await stopServers(servers);
    await cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

import path from 'node:path';
import autocannon from 'autocannon';
import { FakeRemnawave } from '../test/fakes/remnawave';
import { pacedLoad } from './paced-load';
import { cleanUp, forkServer, prepareDatabase, secret, serverEnv, signIn, stopServers, type Server } from './support';

/**
 * Remnawave benchmark (npm run bench:remnawave): `GET /api/v1/users?page_size=20` through the real
 * API process (bench/auth-server.ts: src/server.ts, NODE_ENV=production) against the same page
 * straight from the fake panel, in one run, BENCH_CONNECTIONS (50) connections each; then the
 * panel hung (connections accepted, never answered): the calls that open the breaker, each waiting
 * OUTBOUND_TIMEOUT (BENCH_OUTBOUND_TIMEOUT, default 3s) as every call would without a breaker,
 * and then the latency of the 502s the open breaker answers: flat out over the same connections,
 * and at a fixed rate of evenly spaced requests (bench/paced-load.ts), the figure of the target.
 *
 * Everything shares the same cores: this driver runs autocannon and the fake panel (which checks
 * every reply against the contract's zod schemas, direct or not), the server is a child process.
 * Quote the ratios, not the absolute figures. The open breaker's 502s are counted, not logged one by
 * one (as in production). Sockets the server opened to the panel during its run are counted by the
 * fake (it sees each TCP connection), and must stay within the pool size.
 *
 * Knobs: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 50), BENCH_WARMUP (s, default 2),
 * BENCH_DEAD_RATE (req/s of the open-breaker run, default 100).
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
/** DEFAULT_REMNAWAVE_RESILIENCE.poolSize */
const POOL_SIZE = 32;
const TARGET_OPEN_BREAKER_P99_MS = 20;
/** The server's OUTBOUND_TIMEOUT: what a call to a hung panel costs while the breaker is closed. */
const OUTBOUND_TIMEOUT = process.env.BENCH_OUTBOUND_TIMEOUT ?? '3s';
/** Calls that find the panel hung with the breaker closed: more than the 5 failures that open it. */
const OPENING_CALLS = 10;

/**
 * 502s once the breaker is open, at a fixed rate: how fast one comes, not how deep a queue gets.
 * Evenly spaced (bench/paced-load.ts): autocannon's own rate option sends each connection's
 * quota of the second back to back, which measures a queue as deep as its connections instead.
 */
const DEAD_RATE = Number(process.env.BENCH_DEAD_RATE ?? 100);

const run = (url: string, headers: Record<string, string>, duration: number, extra: Partial<autocannon.Options> = {}) =>
  autocannon({ url, connections: CONNECTIONS, duration, headers, timeout: 30, ...extra });

const failures = (result: autocannon.Result) => result.errors + result.timeouts + result.non2xx;

async function main(): Promise<void> {
  const fake = await new FakeRemnawave({ token: secret() }).start();
  for (let i = 0; i < 45; i += 1) fake.seedUser();
  let server: Server | undefined;
  await prepareDatabase();
  try {
    server = await forkServer(path.join(__dirname, 'auth-server.ts'), [], serverEnv({ LOG_LEVEL: 'warn', ...fake.env(), OUTBOUND_TIMEOUT }), 'server');
    const token = await signIn(server.port);
    const panelHeaders = { authorization: `Bearer ${fake.token}`, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https' };
    const directUrl = `${fake.url}/api/users?start=0&size=20`;
    const serviceUrl = `http://127.0.0.1:${server.port}/api/v1/users?page_size=20`;
    const serviceHeaders = { authorization: `Bearer ${token}` };

    await run(directUrl, panelHeaders, WARMUP);
    await run(serviceUrl, serviceHeaders, WARMUP);
    const direct = await run(directUrl, panelHeaders, DURATION);
    const socketsBefore = fake.socketsOpened;
    // Let autocannon's sockets of the direct run close, so the fake's peak counts the service's only.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    fake.reset();
    for (let i = 0; i < 45; i += 1) fake.seedUser();
    const service = await run(serviceUrl, serviceHeaders, DURATION);
    const serviceSockets = fake.socketsOpened;
    const peakSockets = fake.peakOpenSockets;

    // The panel stops answering (it accepts connections and hangs, the case a breaker is for: a
    // refused connection fails fast by itself). Until the breaker opens, each call waits
    // OUTBOUND_TIMEOUT, which is what every call would cost a client without a breaker: these
    // opening calls are that comparison, measured in the same run on the same server.
    fake.failAlways('hang');
    const opening = await Promise.all(
      Array.from({ length: OPENING_CALLS }, async () => {
        const started = performance.now();
        const res = await fetch(serviceUrl, { headers: serviceHeaders });
        await res.arrayBuffer();
        return { ms: performance.now() - started, status: res.status };
      }),
    );
    const openingMs = opening.map((call) => call.ms).sort((a, b) => a - b);
    const saturated = await run(serviceUrl, serviceHeaders, DURATION);
    const dead = await pacedLoad({ url: serviceUrl, headers: serviceHeaders, rate: DEAD_RATE, durationS: DURATION, sockets: CONNECTIONS });
    const deadStatuses = Object.entries(dead.statuses).map(([status, n]) => `${status} x${n}`).join(', ');

    console.log(`direct  panel:   ${direct.requests.average} req/s, p50 ${direct.latency.p50} ms, p99 ${direct.latency.p99} ms, failures ${failures(direct)}`);
    console.log(`through service: ${service.requests.average} req/s, p50 ${service.latency.p50} ms, p99 ${service.latency.p99} ms, failures ${failures(service)}`);
    console.log(`panel hung, breaker closed (= no breaker), ${OPENING_CALLS} calls at once: min ${openingMs[0]!.toFixed(0)} ms, max ${openingMs.at(-1)!.toFixed(0)} ms, statuses ${[...new Set(opening.map((call) => call.status))].join(',')} (OUTBOUND_TIMEOUT ${OUTBOUND_TIMEOUT})`);
    console.log(`panel dead, breaker open, ${CONNECTIONS} connections flat out: ${saturated.requests.average} req/s, p50 ${saturated.latency.p50} ms, p99 ${saturated.latency.p99} ms, non-2xx ${saturated.non2xx} of ${saturated.requests.total}`);
    console.log(
      `panel dead, breaker open, ${DEAD_RATE} req/s evenly spaced: p50 ${dead.p50} ms, p90 ${dead.p90} ms, p99 ${dead.p99} ms, max ${dead.max} ms; ${deadStatuses}, errors ${dead.errors}; ` +
        `driver send lag p99 ${dead.sendLagP99} ms (any 504 is a half-open probe: one call per halfOpenAfter waits OUTBOUND_TIMEOUT)`,
    );
    console.log('');
    console.log(`| measure | value | target | note |`);
    console.log(`|---|---|---|---|`);
    console.log(`| added latency p50 | ${(service.latency.p50 - direct.latency.p50).toFixed(1)} ms | | ${CONNECTIONS} connections, ${DURATION} s each, same run |`);
    console.log(`| added latency p99 | ${(service.latency.p99 - direct.latency.p99).toFixed(1)} ms | | |`);
    console.log(`| req/s through the service / direct | ${(service.requests.average / direct.requests.average).toFixed(2)} | | |`);
    console.log(
      `| 502 p99 with the breaker open, ${DEAD_RATE} req/s evenly spaced | ${dead.p99} ms | < ${TARGET_OPEN_BREAKER_P99_MS} ms | ${dead.p99 < TARGET_OPEN_BREAKER_P99_MS ? 'met' : 'NOT met'}; ` +
        `flat out over ${CONNECTIONS} connections: ${saturated.requests.average} req/s, p99 ${saturated.latency.p99} ms |`,
    );
    console.log(`| the same without a breaker (calls before it opens) | ${openingMs.at(-1)!.toFixed(0)} ms | | each waits OUTBOUND_TIMEOUT (${OUTBOUND_TIMEOUT}); ${(openingMs.at(-1)! / Math.max(dead.p99, 1)).toFixed(0)}x the open-breaker p99 |`);
    // The panel closes idle keep-alive sockets after its own timeout, so more may be opened in
    // total than the pool holds; what the pool bounds is how many are open at once.
    console.log(`| sockets open to the panel at once (service run) | ${peakSockets} (${serviceSockets} opened in all) | <= ${POOL_SIZE} | ${peakSockets <= POOL_SIZE ? 'met' : 'NOT met'}; the direct run opened ${socketsBefore} |`);
    if (failures(service) > 0 || failures(direct) > 0 || dead.errors > 0) process.exitCode = 1;
  } finally {
    if (server) await stopServers([server]);
    await fake.stop().catch(() => undefined);
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error('remnawave bench failed:', error);
  process.exit(1);
});

import { cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { cleanUp, forkServer, median, ORIGIN, prepareDatabase, serverEnv, signIn, stopServers, type Server } from './support';

/**
 * Edge overhead benchmark (npm run bench:edge). Runs in three processes on the same machine:
 * this one drives autocannon; two children serve (bench/edge-server.ts): the real API process
 * (`full`: every edge middleware, NODE_ENV=production, rate limits on with a limit too large to
 * trip, real PostgreSQL and Redis) and a bare Express 5 app doing the same domain work (`bare`).
 * Only one server is loaded at a time; rounds alternate which goes first. The figure that matters
 * is full/bare req/s per route, measured in the same run: absolute numbers depend on the machine.
 *
 * Knobs: BENCH_DURATION (s per measurement, default 10), BENCH_ROUNDS (default 3),
 * BENCH_CONNECTIONS (default 50), BENCH_WARMUP (s, default 3), BENCH_ONLY (a substring of the
 * route names to run), BENCH_CPU_PROF (a directory: the servers write V8 CPU profiles there on
 * exit), REDIS_URL, TEST_POSTGRES_URL.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
type Mode = 'bare' | 'full';
interface Target {
  name: string;
  path: string;
  note: string;
  headers?: Record<string, string>;
}
interface Sample {
  rps: number;
  p99: number;
  /** Server CPU time per request (user + system): what the edge costs, whatever the load generator does. */
  cpuPerRequest: number;
}
function startChild(mode: Mode, env: NodeJS.ProcessEnv): Promise<Server> {
  return forkServer(path.join(__dirname, 'edge-server.ts'), [mode], env, `${mode} server`);
}

function serverCpuMicros(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.child.once('message', (message: { cpuMicros: number }) => resolve(message.cpuMicros));
    server.child.send('cpu');
  });
}

async function load(server: Server, target: Target, duration: number): Promise<Sample> {
  await serverCpuMicros(server);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${target.path}`,
    connections: CONNECTIONS,
    duration,
    headers: target.headers,
  });
  const cpuMicros = await serverCpuMicros(server);
  const failures = result.non2xx + result.errors + result.timeouts;
  if (failures > 0) throw new Error(`${target.path} on port ${server.port}: ${failures} failed responses of ${result.requests.total}`);
  return { rps: result.requests.average, p99: result.latency.p99, cpuPerRequest: cpuMicros / result.requests.total };
}

async function main(): Promise<void> {
  console.log(`edge benchmark: ${cpus().length} cores shared by autocannon and the server; -c ${CONNECTIONS}, ${ROUNDS} rounds x ${DURATION}s per server and route`);
  await prepareDatabase();
  const env = serverEnv({ HASH_POOL_THREADS: '1' });
  const servers: Partial<Record<Mode, Server>> = {};
  try {
    servers.bare = await startChild('bare', env);
    servers.full = await startChild('full', env);
    const token = await signIn(servers.full.port);
    const targets: Target[] = [
      { name: 'GET /health', path: '/health', note: 'no I/O; exempt from the IP limit by design, so the limiter is skipped' },
      { name: 'GET /api/v1/plans', path: '/api/v1/plans', note: 'public DB read (2 queries); general limiter counts in Redis' },
      {
        name: 'GET /api/v1/auth/me',
        path: '/api/v1/auth/me',
        note: 'authenticated DB read (JWT + session check + row) from the admin frontend\'s origin; CORS answers it; general limiter counts in Redis',
        headers: { Authorization: `Bearer ${token}`, Origin: ORIGIN },
      },
    ];

    const rows: string[] = [];
    for (const target of targets.filter((t) => t.name.includes(process.env.BENCH_ONLY ?? ''))) {
      for (const mode of ['bare', 'full'] as const) await load(servers[mode]!, target, WARMUP);
      const samples: Record<Mode, Sample[]> = { bare: [], full: [] };
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const order: Mode[] = round % 2 === 0 ? ['bare', 'full'] : ['full', 'bare'];
        for (const mode of order) samples[mode].push(await load(servers[mode]!, target, DURATION));
        ratios.push(samples.full[round]!.rps / samples.bare[round]!.rps);
      }
      const bare = median(samples.bare.map((s) => s.rps));
      const full = median(samples.full.map((s) => s.rps));
      const ratio = median(ratios);
      const cpuBare = median(samples.bare.map((s) => s.cpuPerRequest));
      const cpuFull = median(samples.full.map((s) => s.cpuPerRequest));
      const p99 = median(samples.full.map((s) => s.p99));
      const perRound = ratios.map((r) => r.toFixed(2)).join(', ');
      console.log(
        `${target.name}: full/bare req/s = ${ratio.toFixed(2)} (rounds: ${perRound}); req/s bare ${bare.toFixed(0)}, full ${full.toFixed(0)}; ` +
          `server CPU µs/request bare ${cpuBare.toFixed(0)}, full ${cpuFull.toFixed(0)} (bare/full ${(cpuBare / cpuFull).toFixed(2)}); full p99 ${p99} ms`,
      );
      rows.push(
        `| ${target.name} | **${ratio.toFixed(2)}** | ${perRound} | ${bare.toFixed(0)} / ${full.toFixed(0)} | ` +
          `${cpuBare.toFixed(0)} / ${cpuFull.toFixed(0)} (${(cpuBare / cpuFull).toFixed(2)}) | ${p99} | ${target.note} |`,
      );
    }
    console.log('\n| route | req/s full/bare (median) | per round | req/s bare / full | server CPU µs/req bare / full (ratio) | full p99 ms | the full stack on this route |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    await stopServers(Object.values(servers));
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

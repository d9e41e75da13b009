import { cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { cleanUp, forkServer, median, ORIGIN, prepareDatabase, serverEnv, signIn, stopServers, type Server } from './support';

/**
 * Edge overhead benchmark (npm run bench:edge). Runs in four processes on the same machine:
 * this one drives autocannon; three children serve (bench/edge-server.ts): the real API process
 * (`full`: every edge middleware, NODE_ENV=production, rate limits on with a limit too large to
 * trip, real PostgreSQL and Redis), and a bare Express 5 app doing the same domain work, once as
 * Express serves it (`bare`, the reference the target is set against) and once on the API's own
 * http.Server (`served`, src/http/app-server.ts). Since that server spares every request
 * Express's prototype swap, full/bare credits it to the full stack; full/served leaves it out and
 * shows what the edge middleware alone costs. Only one server is loaded at a time; each round
 * starts with another. The figures that matter are ratios measured in the same run: absolute
 * numbers depend on the machine.
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
/** `bare`: the reference, Express as it ships; `served`: the same app on the API's own server; `full`: the API. */
type Mode = 'bare' | 'served' | 'full';
const MODES: readonly Mode[] = ['bare', 'served', 'full'];
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
    for (const mode of MODES) servers[mode] = await startChild(mode, env);
    const token = await signIn(servers.full!.port);
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
      for (const mode of MODES) await load(servers[mode]!, target, WARMUP);
      const samples: Record<Mode, Sample[]> = { bare: [], served: [], full: [] };
      const ratios: number[] = [];
      const servedRatios: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        // Each round starts with another server, so no one always runs on the warmest machine.
        const order = MODES.map((_, index) => MODES[(index + round) % MODES.length]!);
        for (const mode of order) samples[mode].push(await load(servers[mode]!, target, DURATION));
        ratios.push(samples.full[round]!.rps / samples.bare[round]!.rps);
        servedRatios.push(samples.full[round]!.rps / samples.served[round]!.rps);
      }
      const rps = (mode: Mode) => median(samples[mode].map((s) => s.rps));
      const cpu = (mode: Mode) => median(samples[mode].map((s) => s.cpuPerRequest));
      const ratio = median(ratios);
      const servedRatio = median(servedRatios);
      const p99 = median(samples.full.map((s) => s.p99));
      const perRound = ratios.map((r) => r.toFixed(2)).join(', ');
      console.log(
        `${target.name}: full/bare req/s = ${ratio.toFixed(2)} (rounds: ${perRound}); full/served ${servedRatio.toFixed(2)} (rounds: ${servedRatios.map((r) => r.toFixed(2)).join(', ')}); ` +
          `req/s bare ${rps('bare').toFixed(0)}, served ${rps('served').toFixed(0)}, full ${rps('full').toFixed(0)}; ` +
          `server CPU µs/request bare ${cpu('bare').toFixed(0)}, served ${cpu('served').toFixed(0)}, full ${cpu('full').toFixed(0)}; full p99 ${p99} ms`,
      );
      rows.push(
        `| ${target.name} | **${ratio.toFixed(2)}** | ${perRound} | ${servedRatio.toFixed(2)} | ${rps('bare').toFixed(0)} / ${rps('served').toFixed(0)} / ${rps('full').toFixed(0)} | ` +
          `${cpu('bare').toFixed(0)} / ${cpu('served').toFixed(0)} / ${cpu('full').toFixed(0)} | ${p99} | ${target.note} |`,
      );
    }
    console.log('\n| route | req/s full/bare (median) | per round | full/served | req/s bare / served / full | server CPU µs/req bare / served / full | full p99 ms | the full stack on this route |');
    console.log('|---|---|---|---|---|---|---|---|');
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

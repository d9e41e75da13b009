import { readFileSync } from 'node:fs';
import { cpus, getPriority } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { PoolReport } from './auth-server';
import { ceilingRun as ceilingRunOf, threadTimes, TICKS_PER_SECOND } from './machine';
import { BCRYPT_COST, BENCH_ADMIN, cleanUp, forkServer, median, ORIGIN, prepareDatabase, serverEnv, signIn, stopServers, type Server } from './support';

/**
 * Authentication benchmark (npm run bench:auth): a login storm against the bcrypt ceiling, and what
 * it does to everyone else. Three kinds of process on the same cores:
 * - this driver, which runs two autocannon instances (logins, and the /auth/me reader) in-process;
 * - the real API process (bench/auth-server.ts: startServer of src/server.ts, NODE_ENV=production,
 *   BCRYPT_COST=12, one niced hashing process per core, rate limits on with limits too large to trip);
 * - a bcrypt child (bench/bcrypt-ceiling.ts) with nothing else loaded, run before the server
 *   starts and again once the storm has drained: single-thread verifications/s at the cost.
 *
 * Phases: warm-up; idle (the reader alone at a fixed modest rate); storm (BENCH_LOGIN_CONNECTIONS
 * connections POSTing correct logins back to back, with the reader at the same rate). Event-loop
 * delay comes from the server's own /metrics (prom-client resets its event-loop histogram on each
 * scrape, so a scrape right before a phase and one right after it cover exactly that phase). CPU
 * shares over the storm come from /proc (the server process and its hashing processes) and the driver's
 * process.cpuUsage().
 *
 * Knobs: BENCH_STORM (s, default 30), BENCH_IDLE (s, default 10), BENCH_WARMUP (s, default 3),
 * BENCH_LOGIN_CONNECTIONS (default 100), BENCH_READ_RATE (req/s, default 50),
 * BENCH_READ_CONNECTIONS (default 2), BENCH_CEILING_ITERATIONS (default 12 per ceiling run),
 * BENCH_HASH_THREADS (default: the number of cores), BENCH_CPU_PROF, REDIS_URL, TEST_POSTGRES_URL.
 */
const STORM = Number(process.env.BENCH_STORM ?? 30);
const IDLE = Number(process.env.BENCH_IDLE ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? 100);
const READ_RATE = Number(process.env.BENCH_READ_RATE ?? 50);
const READ_CONNECTIONS = Number(process.env.BENCH_READ_CONNECTIONS ?? 2);
const CEILING_ITERATIONS = Number(process.env.BENCH_CEILING_ITERATIONS ?? 12);
const HASH_THREADS = Number(process.env.BENCH_HASH_THREADS ?? cpus().length);
// Each login waits for the ones queued before it (100 / ~11 per second = ~9 s): never time out on that.
const LOGIN_TIMEOUT_S = 60;
const ceilingRun = () => ceilingRunOf(CEILING_ITERATIONS);

const TARGET = { loginRatio: 0.85, stormP99Ms: 50, p99VsIdle: 5, eventLoopP99Ms: 20 };

type Result = autocannon.Result;

function failures(result: Result): number {
  return result.errors + result.timeouts + result.non2xx;
}

// ---- CPU accounting from /proc ------------------------------------------------------------------

interface CpuSnapshot {
  at: bigint;
  /** Whole machine, seconds: busy (user+nice+system+irq+softirq+steal), steal alone, idle (+iowait). */
  machineBusy: number;
  machineSteal: number;
  machineIdle: number;
  /** The server, seconds: its hashing (child processes at +10), and the rest of the API process. */
  serverNiced: number;
  serverOther: number;
  /** This driver (both autocannon instances), seconds. */
  driver: number;
}

function cpuSnapshot(serverPid: number): CpuSnapshot {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  const server = threadTimes(serverPid);
  const driver = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    machineBusy: (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND,
    machineSteal: steal / TICKS_PER_SECOND,
    machineIdle: (idle + iowait) / TICKS_PER_SECOND,
    serverNiced: server.niced,
    serverOther: server.other,
    driver: (driver.user + driver.system) / 1e6,
  };
}

/** Cores used on average over the interval, per consumer. */
function cpuShares(before: CpuSnapshot, after: CpuSnapshot) {
  const wall = Number(after.at - before.at) / 1e9;
  const rate = (key: Exclude<keyof CpuSnapshot, 'at'>) => (after[key] - before[key]) / wall;
  const busy = rate('machineBusy');
  const hash = rate('serverNiced');
  const server = rate('serverOther');
  const driver = rate('driver');
  return { wall, busy, steal: rate('machineSteal'), idle: rate('machineIdle'), hash, server, driver, rest: busy - hash - server - driver };
}

// ---- the server ------------------------------------------------------------------------------

function poolReport(server: Server): Promise<PoolReport> {
  return new Promise((resolve) => {
    server.child.once('message', (message: PoolReport) => resolve(message));
    server.child.send('report');
  });
}

interface EventLoop {
  p99: number;
  max: number;
}

async function scrapeEventLoop(port: number, token: string): Promise<EventLoop> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  const gauge = (name: string) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`${name} missing from /metrics`);
    return Number(match[1]) * 1000;
  };
  return { p99: gauge('nodejs_eventloop_lag_p99_seconds'), max: gauge('nodejs_eventloop_lag_max_seconds') };
}

/** Waits until the hash queue has stayed empty for a whole second (the storm leaves abandoned logins queued). */
async function drain(server: Server): Promise<void> {
  await poolReport(server);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if ((await poolReport(server)).maxQueue === 0) return;
  }
}

// ---- load --------------------------------------------------------------------------------------

function reader(port: number, token: string, duration: number): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/api/v1/auth/me`,
    connections: READ_CONNECTIONS,
    overallRate: READ_RATE,
    duration,
    headers: { Authorization: `Bearer ${token}`, Origin: ORIGIN },
    // With a rate, autocannon "corrects" for coordinated omission with an expected interval of
    // ceil(1 / rate) = 1 ms, i.e. it adds a synthetic sample for every millisecond of every
    // response: the percentiles would no longer be those of requests. The rate here is fixed and
    // far below capacity, so the plain per-request latencies are the honest figure.
    ignoreCoordinatedOmission: true,
  });
}

function logins(port: number, options: { duration: number } | { amount: number }, connections: number): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/api/v1/auth/login`,
    method: 'POST',
    connections,
    ...options,
    timeout: LOGIN_TIMEOUT_S,
    headers: { 'Content-Type': 'application/json' },
    // The right password every time: the per-account lock-out never engages.
    body: JSON.stringify({ login_or_email: BENCH_ADMIN.login, password: BENCH_ADMIN.password }),
  });
}

function describe(result: Result): string {
  const codes = Object.entries(result.statusCodeStats ?? {})
    .map(([code, { count }]) => `${code}x${count ?? 0}`)
    .join(' ');
  return `${result.requests.total} responses (${codes || 'none'}), ${result.errors} errors, ${result.timeouts} timeouts`;
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
const verdict = (ok: boolean) => (ok ? 'met' : '**MISSED**');

async function main(): Promise<void> {
  const cores = cpus().length;
  console.log(
    `auth benchmark: ${cores} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; bcrypt cost ${BCRYPT_COST}, ${HASH_THREADS} hash threads; ` +
      `storm ${LOGIN_CONNECTIONS} login connections x ${STORM}s with /auth/me at ${READ_RATE} req/s over ${READ_CONNECTIONS} connections; idle ${IDLE}s`,
  );
  console.log(
    `autocannon (both instances) runs in this driver process (pid ${process.pid}, nice ${getPriority()}), unpinned on the same ${cores} cores as the server, PostgreSQL and Redis`,
  );
  await prepareDatabase();

  const before = await ceilingRun();
  console.log(`ceiling, before the server starts: ${before.map((d) => d.toFixed(0)).join(' ')} ms per verification`);

  const env = serverEnv({ HASH_POOL_THREADS: String(HASH_THREADS) });
  const metricsToken = env.METRICS_TOKEN!;
  let server: Server | undefined;
  try {
    server = await forkServer(path.join(__dirname, 'auth-server.ts'), [], env, 'auth server');
    const { port } = server;
    const { threads } = await poolReport(server);
    const token = await signIn(port);

    // Warm-up: JIT, connections, the pool's threads.
    const warm = await Promise.all([reader(port, token, WARMUP), logins(port, { amount: 2 * threads }, threads)]);
    for (const result of warm) if (failures(result) > 0) throw new Error(`warm-up failed: ${describe(result)}`);

    // Idle: the reader alone.
    await scrapeEventLoop(port, metricsToken);
    const idle = await reader(port, token, IDLE);
    const idleLoop = await scrapeEventLoop(port, metricsToken);
    console.log(`idle   /auth/me: ${describe(idle)}; p50 ${idle.latency.p50} ms, p99 ${idle.latency.p99} ms, max ${idle.latency.max} ms; event loop p99 ${ms(idleLoop.p99)} ms`);

    // Storm: logins flat out, the reader at the same rate as idle.
    await scrapeEventLoop(port, metricsToken);
    const poolBefore = await poolReport(server);
    const cpuBefore = cpuSnapshot(server.child.pid!);
    const [storm, stormRead] = await Promise.all([logins(port, { duration: STORM }, LOGIN_CONNECTIONS), reader(port, token, STORM)]);
    const cpuAfter = cpuSnapshot(server.child.pid!);
    const stormLoop = await scrapeEventLoop(port, metricsToken);
    const poolAfter = await poolReport(server);
    console.log(`storm  logins:   ${describe(storm)} in ${storm.duration}s; latency p50 ${storm.latency.p50} ms, p90 ${storm.latency.p90} ms, p99 ${storm.latency.p99} ms, max ${storm.latency.max} ms`);
    console.log(`storm  /auth/me: ${describe(stormRead)}; p50 ${stormRead.latency.p50} ms, p99 ${stormRead.latency.p99} ms, max ${stormRead.latency.max} ms`);

    await drain(server);
    const after = await ceilingRun();
    console.log(`ceiling, after the storm drained: ${after.map((d) => d.toFixed(0)).join(' ')} ms per verification`);

    // ---- figures ----
    const singleMs = median([...before, ...after]);
    const ceiling = (threads * 1000) / singleMs;
    const loginsPerSecond = storm['2xx'] / storm.duration;
    const cpu = cpuShares(cpuBefore, cpuAfter);
    const verificationsPerSecond = (poolAfter.completedTasks - poolBefore.completedTasks) / cpu.wall;
    const errors = failures(storm) + failures(stormRead) + failures(idle);
    const ratio = loginsPerSecond / ceiling;
    const p99Idle = idle.latency.p99;
    const p99Storm = stormRead.latency.p99;
    const where = `autocannon in the driver process, same ${cores} cores`;

    console.log(`\n| measure | value | target | | note |`);
    console.log('|---|---|---|---|---|');
    console.log(
      `| bcrypt ceiling | ${ceiling.toFixed(2)} logins/s | | | ${threads} threads x 1000 / ${singleMs.toFixed(1)} ms (median of ${before.length + after.length} single-thread compareSync, ` +
        `medians before/after ${median(before).toFixed(1)} / ${median(after).toFixed(1)} ms; child process alone, machine otherwise idle) |`,
    );
    console.log(
      `| logins/s (2xx) | ${loginsPerSecond.toFixed(2)} | | | ${storm['2xx']} in ${storm.duration}s, ${LOGIN_CONNECTIONS} connections; server-side verifications/s over the storm ${verificationsPerSecond.toFixed(2)}; ${where} |`,
    );
    console.log(`| logins/s ÷ ceiling | **${ratio.toFixed(2)}** | >= ${TARGET.loginRatio} | ${verdict(ratio >= TARGET.loginRatio)} | |`);
    console.log(
      `| /auth/me p99 idle | ${p99Idle} ms | | | ${idle.requests.total} requests at ${READ_RATE} req/s, ${READ_CONNECTIONS} connections, p50 ${idle.latency.p50} ms, max ${idle.latency.max} ms; ${where} |`,
    );
    console.log(
      `| /auth/me p99 storm | **${p99Storm} ms** (${(p99Storm / p99Idle).toFixed(1)}x idle) | <= ${TARGET.stormP99Ms} ms and <= ${TARGET.p99VsIdle}x idle | ` +
        `${verdict(p99Storm <= TARGET.stormP99Ms && p99Storm <= TARGET.p99VsIdle * p99Idle)} | ${stormRead.requests.total} requests, p50 ${stormRead.latency.p50} ms, max ${stormRead.latency.max} ms; ${where} |`,
    );
    console.log(
      `| event-loop delay p99 storm | **${ms(stormLoop.p99)} ms** | <= ${TARGET.eventLoopP99Ms} ms | ${verdict(stormLoop.p99 <= TARGET.eventLoopP99Ms)} | ` +
        `server's /metrics (nodejs_eventloop_lag_p99_seconds; sampled every 10 ms, so a free loop reads about 10 ms); max ${ms(stormLoop.max)} ms; idle p99 ${ms(idleLoop.p99)} ms |`,
    );
    console.log(
      `| errors, non-2xx, timeouts | **${errors}** | 0 | ${verdict(errors === 0)} | logins, storm reader and idle reader; hash queue peaked at ${poolAfter.maxQueue} (HASH_POOL_MAX_QUEUE default 200) |`,
    );
    const share = (value: number) => `${value.toFixed(2)} (${((100 * value) / cores).toFixed(0)} %)`;
    console.log(
      `\nCPU over the storm, in cores out of ${cores} (share of the machine): hashing processes (nice +10) ${share(cpu.hash)}; ` +
        `server event loop and other threads ${share(cpu.server)}; driver/autocannon ${share(cpu.driver)}; ` +
        `everything else (PostgreSQL, Redis, other users) ${share(cpu.rest)}; idle ${share(cpu.idle)}; steal ${share(cpu.steal)}`,
    );
    console.log(
      `hash threads' CPU ÷ ${threads} = ${(cpu.hash / threads).toFixed(2)} of their cores; logins/s per hash-thread core-second ${(loginsPerSecond / cpu.hash).toFixed(2)} ` +
        `(single-thread rate ${(1000 / singleMs).toFixed(2)})`,
    );
  } finally {
    if (server) await stopServers([server]);
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

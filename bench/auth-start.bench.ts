import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import autocannon from 'autocannon';
import { ceilingRun, childPids, processPriority, threadStats, threadTimes } from './machine';
import { BENCH_ADMIN, cleanUp, DATABASE, median, prepareDatabase, REDIS_PREFIX, secret, signIn } from './support';
import { testDatabaseUrl } from '../test/support/database';

/**
 * What a user of `npm start` gets under a login storm (npm run bench:auth:start). Unlike
 * bench/auth.bench.ts, which forks bench/auth-server.ts under tsx with settings of its own and warms
 * up first, this starts the real entry point as its own process, from the values of .env.example,
 * and storms it straight away:
 * - the server: `node dist/src/server.js` (BENCH_ENTRY=tsx: `tsx src/server.ts`), environment =
 *   .env.example with only these replaced: DATABASE_URL (the bench database), REDIS_KEY_PREFIX,
 *   PORT, and the two rate limits raised to 10^9 (limits on, every request counted, none refused:
 *   with the example's 5 logins a minute the storm would measure 429s). BENCH_NODE_ENV=production
 *   also replaces the placeholder secrets, which production refuses. Its output goes to a file, as
 *   a process manager would keep it (BENCH_SERVER_OUTPUT=inherit: this terminal);
 * - no warm-up: one login to get the reader's token, then at once BENCH_LOGIN_CONNECTIONS (100)
 *   connections POST correct logins back to back for BENCH_STORM s (30) while ONE connection reads
 *   GET /auth/me at BENCH_READ_RATE (50) req/s;
 * - the ceiling: bench/bcrypt-ceiling.ts before the server starts and after the storm drained.
 * BENCH_SERVER_ENV="KEY=value,KEY=value" adds overrides (for A/B runs: LOG_LEVEL=info ...).
 * Build first (npm run build): the script refuses a dist/ older than src/.
 */
const ROOT = path.resolve(__dirname, '..');
/** The tree whose server is started (BENCH_SERVER_ROOT: another checkout, built, for A/B runs). */
const SERVER_ROOT = process.env.BENCH_SERVER_ROOT ?? ROOT;
const STORM = Number(process.env.BENCH_STORM ?? 30);
const LOGIN_CONNECTIONS = Number(process.env.BENCH_LOGIN_CONNECTIONS ?? 100);
const READ_RATE = Number(process.env.BENCH_READ_RATE ?? 50);
const CEILING_ITERATIONS = Number(process.env.BENCH_CEILING_ITERATIONS ?? 12);
const ENTRY = process.env.BENCH_ENTRY ?? 'dist';
const NODE_ENV = process.env.BENCH_NODE_ENV ?? 'development';
const OUTPUT = process.env.BENCH_SERVER_OUTPUT ?? 'file';
const DETACHED = process.env.BENCH_DETACHED !== '0';
const LOGIN_TIMEOUT_S = 60;
const TARGET = { loginRatio: 0.85, stormP99Ms: 50 };

function extraEnv(): NodeJS.ProcessEnv {
  const raw = process.env.BENCH_SERVER_ENV ?? '';
  return Object.fromEntries(
    raw
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

/** .env.example as `npm start` would read it from a .env copied from it, with the bench's few replacements. */
function exampleEnv(port: number): NodeJS.ProcessEnv {
  const example = parseEnv(readFileSync(path.join(ROOT, '.env.example'), 'utf8'));
  const production =
    NODE_ENV === 'production'
      ? {
          JWT_SECRET: secret(),
          REMNAWAVE_TOKEN: secret(),
          REMNAWAVE_WEBHOOK_SECRET: secret(),
          CRYPTOBOT_TOKEN: secret(),
          TELEGRAM_BOT_TOKEN: secret(),
          GITHUB_CLIENT_ID: 'bench-client',
          GITHUB_CLIENT_SECRET: secret(),
          METRICS_TOKEN: secret(),
          DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
          CORS_ORIGINS: 'https://admin.bench.test',
        }
      : {};
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...example,
    NODE_ENV,
    PORT: String(port),
    DATABASE_URL: testDatabaseUrl(DATABASE),
    REDIS_KEY_PREFIX: REDIS_PREFIX,
    RATE_LIMIT_GLOBAL_MAX: '1000000000',
    RATE_LIMIT_AUTH_MAX: '1000000000',
    ...production,
    ...extraEnv(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function assertBuildIsFresh(): void {
  const built = path.join(SERVER_ROOT, 'dist/src/server.js');
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    throw new Error('dist/ is missing: run `npm run build` first');
  }
  for (const source of ['src/server.ts', 'src/app.ts', 'src/infrastructure/password-hasher.ts', 'src/infrastructure/logger.ts']) {
    if (statSync(path.join(SERVER_ROOT, source)).mtimeMs > builtAt) throw new Error(`${source} is newer than dist/: run \`npm run build\` first`);
  }
}

interface StartedServer {
  child: ChildProcess;
  port: number;
  output: string | undefined;
}

async function startServer(env: NodeJS.ProcessEnv, outputDir: string): Promise<StartedServer> {
  const command = ENTRY === 'tsx' ? [path.join(SERVER_ROOT, 'node_modules/.bin/tsx'), 'src/server.ts'] : [process.execPath, 'dist/src/server.js'];
  const output = OUTPUT === 'file' ? path.join(outputDir, 'server.log') : undefined;
  const fd = output ? openSync(output, 'a') : undefined;
  // detached: a session of its own, as `npm start` in its own terminal (or a service manager) has;
  // where the kernel groups scheduling by session (autogroup), the server then competes with this
  // driver as a separate group.
  const child = spawn(command[0]!, command.slice(1), { cwd: SERVER_ROOT, env, detached: DETACHED, stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd] });
  if (fd !== undefined) closeSync(fd);
  const port = Number(env.PORT);
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`server exited with ${code}`))));
  exited.catch(() => undefined);
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, port, output };
    await Promise.race([new Promise((resolve) => setTimeout(resolve, 100)), exited]);
  }
  child.kill('SIGTERM');
  throw new Error('server not ready after 30 s');
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Values from one scrape of the server's /metrics (each scrape resets the event-loop histogram). */
async function scrapeMany(port: number, token: string | undefined, names: string[]): Promise<(number | undefined)[]> {
  if (!token) return names.map(() => undefined);
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await response.text();
  return names.map((name) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  });
}

async function scrape(port: number, token: string | undefined, name: string): Promise<number | undefined> {
  return (await scrapeMany(port, token, [name]))[0];
}

/** The server's threads by niceness, and its child processes (the hash workers) with their session and group. */
function niceness(pid: number): string {
  const byNice = new Map<number, number>();
  for (const thread of threadStats(pid)) byNice.set(thread.nice, (byNice.get(thread.nice) ?? 0) + 1);
  const server = processPriority(pid);
  const threads = [...byNice].map(([nice, count]) => `${count} at nice ${nice}`).join(', ');
  const children = childPids(pid).map((child) => {
    const { nice, session, autogroup } = processPriority(child);
    return `pid ${child} nice ${nice} session ${session === server.session ? 'shared' : 'own'} ${autogroup}`;
  });
  return `threads ${threads}; session ${server.session}, ${server.autogroup}; child processes: ${children.join('; ') || 'none'}`;
}

interface Sample {
  /** ms since the reader started */
  at: number;
  latency: number;
}

/** The reader, recording every response's latency and when it came (where in the storm the slow ones fall). */
/** The event-loop thread's /proc schedstat: ns on a CPU, ns runnable but waiting for one, time slices. */
function runQueueWait(pid: number): { run: number; wait: number; slices: number } {
  const [run = 0, wait = 0, slices = 0] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { run, wait, slices };
}

function autogroup(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim();
  } catch {
    return 'none';
  }
}

function reader(port: number, token: string, duration: number, samples: Sample[]): Promise<autocannon.Result> {
  const started = performance.now();
  const instance = (autocannon as unknown as (options: autocannon.Options) => autocannon.Instance & Promise<autocannon.Result>)({
    url: `http://127.0.0.1:${port}/api/v1/auth/me`,
    connections: 1,
    overallRate: READ_RATE,
    duration,
    headers: { Authorization: `Bearer ${token}` },
    // Plain per-request latencies (see bench/auth.bench.ts: with a rate, autocannon's correction
    // would add a synthetic sample for every millisecond of every response).
    ignoreCoordinatedOmission: true,
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, latency: number) => {
    samples.push({ at: performance.now() - started, latency });
  });
  return instance;
}

/** Reader responses slower than `slowMs`, per second of the storm: "second: count" for each second that had any. */
function slowBySecond(samples: Sample[], slowMs: number): string {
  const counts = new Map<number, number>();
  for (const sample of samples) {
    if (sample.latency <= slowMs) continue;
    const second = Math.floor(sample.at / 1000);
    counts.set(second, (counts.get(second) ?? 0) + 1);
  }
  return [...counts].map(([second, count]) => `${second}s:${count}`).join(' ') || 'none';
}

function logins(port: number, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}/api/v1/auth/login`,
    method: 'POST',
    connections: LOGIN_CONNECTIONS,
    duration,
    timeout: LOGIN_TIMEOUT_S,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login_or_email: BENCH_ADMIN.login, password: BENCH_ADMIN.password }),
  });
}

const failures = (result: autocannon.Result) => result.errors + result.timeouts + result.non2xx;
const verdict = (ok: boolean) => (ok ? 'met' : '**MISSED**');

async function main(): Promise<void> {
  if (ENTRY !== 'tsx') assertBuildIsFresh();
  const cores = cpus().length;
  const overrides = process.env.BENCH_SERVER_ENV ? `, overrides ${process.env.BENCH_SERVER_ENV}` : '';
  console.log(
    `auth start benchmark: ${cores} cores, Node ${process.version}; server ${ENTRY === 'tsx' ? 'tsx src/server.ts' : 'node dist/src/server.js'} ` +
      `from .env.example, NODE_ENV=${NODE_ENV}${overrides}, output to ${OUTPUT}; no warm-up; storm ${LOGIN_CONNECTIONS} login connections x ${STORM}s, ` +
      `/auth/me at ${READ_RATE} req/s over 1 connection`,
  );
  await prepareDatabase();
  const outputDir = mkdtempSync(path.join(tmpdir(), 'bench-auth-start-'));
  let server: StartedServer | undefined;
  try {
    const before = await ceilingRun(CEILING_ITERATIONS);
    const env = exampleEnv(await freePort());
    server = await startServer(env, outputDir);
    const { port } = server;
    const pid = server.child.pid!;
    const token = await signIn(port);
    const completedBefore = await scrape(port, env.METRICS_TOKEN, 'password_hash_tasks_completed');
    // prom-client resets its event-loop histogram on each scrape: the next one covers the storm alone.
    const cpuBefore = threadTimes(pid);
    const waitBefore = runQueueWait(pid);
    const samples: Sample[] = [];
    const [storm, read] = await Promise.all([logins(port, STORM), reader(port, token, STORM, samples)]);
    const cpuAfter = threadTimes(pid);
    const waitAfter = runQueueWait(pid);
    const completedAfter = await scrape(port, env.METRICS_TOKEN, 'password_hash_tasks_completed');
    const [loopP99, loopMax] = await scrapeMany(port, env.METRICS_TOKEN, ['nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds']);
    const threadsLine = niceness(pid);
    const serverGroup = autogroup(pid);
    // The logins abandoned at the end of the storm would keep hashing: stop the server (its pool
    // stops its processes) before timing bcrypt again.
    await stop(server.child);
    const after = await ceilingRun(CEILING_ITERATIONS);

    const threads = Number(env.HASH_POOL_THREADS ?? cores);
    const singleMs = median([...before, ...after]);
    const ceiling = (threads * 1000) / singleMs;
    const loginsPerSecond = storm['2xx'] / storm.duration;
    const ratio = loginsPerSecond / ceiling;
    const l = read.latency;
    const errors = failures(storm) + failures(read);
    const verifications = completedAfter !== undefined && completedBefore !== undefined ? `; verifications/s ${((completedAfter - completedBefore) / storm.duration).toFixed(2)}` : '';
    console.log(`server: ${threadsLine}\nhashing CPU over the storm ${(cpuAfter.niced - cpuBefore.niced).toFixed(1)} s, the rest ${(cpuAfter.other - cpuBefore.other).toFixed(1)} s`);
    console.log(`ceiling ${ceiling.toFixed(2)} logins/s (${threads} threads x 1000 / ${singleMs.toFixed(1)} ms; medians before/after ${median(before).toFixed(1)} / ${median(after).toFixed(1)} ms)`);
    console.log(`logins ${storm['2xx']} 2xx in ${storm.duration}s = ${loginsPerSecond.toFixed(2)}/s${verifications}; errors ${errors}`);
    console.log(`\n| measure | value | target | |\n|---|---|---|---|`);
    console.log(`| logins/s ÷ ceiling | **${ratio.toFixed(2)}** | >= ${TARGET.loginRatio} | ${verdict(ratio >= TARGET.loginRatio)} |`);
    console.log(
      `| /auth/me during the storm, ${read.requests.total} requests | p50 ${l.p50} · p90 ${l.p90} · p97.5 ${l.p97_5} · **p99 ${l.p99}** · max ${l.max} ms | p99 <= ${TARGET.stormP99Ms} ms | ${verdict(l.p99 <= TARGET.stormP99Ms)} |`,
    );
    console.log(`| errors, non-2xx, timeouts | **${errors}** | 0 | ${verdict(errors === 0)} |`);
    console.log(
      `event-loop thread over the storm: ran ${((waitAfter.run - waitBefore.run) / 1e9).toFixed(2)} s, waited for a CPU ${((waitAfter.wait - waitBefore.wait) / 1e9).toFixed(2)} s ` +
        `over ${waitAfter.slices - waitBefore.slices} time slices (${((waitAfter.wait - waitBefore.wait) / 1e6 / Math.max(1, waitAfter.slices - waitBefore.slices)).toFixed(2)} ms per slice); autogroup ${serverGroup}`,
    );
    console.log(`reader responses over 50 ms by second of the storm: ${slowBySecond(samples, 50)}`);
    if (loopP99 !== undefined) console.log(`event-loop delay over the storm (server's /metrics, sampled every 10 ms): p99 ${(loopP99 * 1000).toFixed(0)} ms, max ${((loopMax ?? 0) * 1000).toFixed(0)} ms`);
    if (server.output) console.log(`server output: ${statSync(server.output).size} bytes`);
  } finally {
    if (server) await stop(server.child);
    if (process.env.BENCH_KEEP_OUTPUT) console.log(`server output kept in ${outputDir}`);
    else rmSync(outputDir, { recursive: true, force: true });
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

import { cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import knex, { type Knex } from 'knex';
import { Pool } from 'undici';
import type { Config } from '../src/config';
import { knexConfig } from '../src/infrastructure/db/knex';
import { queuePrefix } from '../src/infrastructure/queues/queue-names';
import { startEntryProcess, type ApiProcess } from '../test/e2e/api-process';
import { stopWorker, waitForLog } from '../test/e2e/webhooks/worker-process';
import { FakeCryptoPay } from '../test/fakes/cryptobot';
import { FakeRemnawave } from '../test/fakes/remnawave';
import { testDatabaseUrl } from '../test/support/database';
import { threadTimes } from './machine';
import { completedCount, countEffects, duplicated, lost, seedPayments, unprocessedCount, type EffectCounts } from './payment-effects';
import { cleanUp, DATABASE, forkServer, prepareDatabase, REDIS_PREFIX, REDIS_URL, secret, serverEnv, stopServers, type Server } from './support';
import { CRYPTO_PAY_PATH, invoicePaid } from './webhook-updates';

/**
 * Webhooks benchmark (npm run bench:webhooks), issue 9.
 *
 * 1. Intake: signed Crypto Pay invoice_paid updates, each for a distinct invoice, POSTed by
 *    autocannon (BENCH_CONNECTIONS, 50) to the real API process (bench/auth-server.ts:
 *    src/server.ts, NODE_ENV=production); measured twice, with one API process and with the
 *    fleet's default of FLEET_API_INSTANCES = 2 (ecosystem.config.js: two processes on their own
 *    ports behind the load balancer; here the connections are split between them). The target is
 *    judged on the fleet's count, the service as deployed: the ceiling's PostgreSQL backends use
 *    every core, and one API process is one event loop on one core. Each against the ceiling: the same 50 callers in this driver
 *    inserting the same row (body and signature) into a scratch copy of webhook_logs (same
 *    columns, constraints and indexes), one INSERT committed per call, over a knex pool of the
 *    server's DATABASE_POOL_MAX. The ceiling runs before and after each intake; their mean is used.
 *    No worker runs meanwhile: the invoices are unknown to the service, and this phase measures
 *    intake only. At its end every 2xx must have its committed `queued` row and its job waiting
 *    in BullMQ; then the rows and the queue are cleared.
 * 2. Payments: for 1 and then 2 webhook worker processes (workers/webhooks.ts, real child
 *    processes, WORKER_CONCURRENCY default), BENCH_PAYMENTS users in the fake Remnawave panel and
 *    one pending payment each; the signed webhooks are delivered over 50 connections, timed from
 *    the first delivery until every payment is `completed`.
 * 3. At the end of each payments run: nothing lost, nothing applied twice (bench/payment-effects.ts);
 *    any failure exits non-zero.
 *
 * Everything shares the same cores: this driver runs autocannon, the ceiling's callers and the
 * fake panel (which checks every request and reply against the contract's schemas). Quote the ratios.
 *
 * Knobs: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 2; the intake warms at least BENCH_DURATION, as the ceiling does), BENCH_CONNECTIONS (50),
 * BENCH_API_PROCESSES (the fleet's count, 2), BENCH_PAYMENTS (300), BENCH_DATABASE, REDIS_URL, TEST_POSTGRES_URL.
 */
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 300);
/** The deployed default (ecosystem.config.js, FLEET_API_INSTANCES). */
const FLEET_API_PROCESSES = Number(process.env.BENCH_API_PROCESSES ?? 2);
const TARGET_RATIO = 0.5;
const SETTLE_TIMEOUT_MS = 300_000;

const CEILING_INSERT = `INSERT INTO bench_insert_ceiling (source, event_type, dedupe_key, payload, signature, is_valid, status)
  VALUES ('cryptobot', 'invoice_paid', ?, ?::jsonb, ?, true, 'received')`;

let nextInvoiceId = 1_000_000;

const count = async (query: Knex.QueryBuilder): Promise<number> => Number(((await query.count({ n: '*' }).first()) as { n: string }).n);

/** Inserts per second of CONNECTIONS callers, each committing one row per call, for DURATION s. */
async function ceilingRun(db: Knex, token: string): Promise<number> {
  let inserted = 0;
  const started = performance.now();
  const deadline = started + DURATION * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const invoiceId = nextInvoiceId++;
        const update = invoicePaid(token, invoiceId);
        await db.raw(CEILING_INSERT, [String(invoiceId), update.body, update.headers['crypto-pay-api-signature']!]);
        inserted += 1;
      }
    }),
  );
  return inserted / ((performance.now() - started) / 1000);
}

/** autocannon against each API process, CONNECTIONS split between them; the results are summed. */
async function intakeRun(servers: Server[], token: string, duration: number): Promise<autocannon.Result> {
  const results = await Promise.all(servers.map((server, index) => intakeRunOn(server.port, token, duration, Math.floor(CONNECTIONS / servers.length) + (index < CONNECTIONS % servers.length ? 1 : 0))));
  if (results.length === 1) return results[0]!;
  const sum = { ...results[0]! } as autocannon.Result;
  for (const key of ['2xx', 'non2xx', 'errors', 'timeouts'] as const) sum[key] = results.reduce((total, result) => total + result[key], 0);
  sum.duration = Math.max(...results.map((result) => result.duration));
  sum.latency = { ...sum.latency, p50: Math.max(...results.map((result) => result.latency.p50)), p99: Math.max(...results.map((result) => result.latency.p99)) };
  return sum;
}

function intakeRunOn(port: number, token: string, duration: number, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: CRYPTO_PAY_PATH,
        // Called for every request: a new invoice, signed over its own bytes.
        setupRequest: (request) => ({ ...request, method: 'POST', path: CRYPTO_PAY_PATH, ...invoicePaid(token, nextInvoiceId++) }),
      },
    ],
  });
}

const failures = (result: autocannon.Result) => result.errors + result.timeouts + result.non2xx;

interface IntakeFigures {
  processes: number;
  ceilings: number[];
  result: autocannon.Result;
  /** The API process's CPU (all its threads) per accepted webhook over the measured run. */
  serverCpuMsPerRequest: number;
  accepted: number;
  recorded: number;
  queuedRows: number;
  jobsWaiting: number;
}

async function intakePhase(db: Knex, servers: Server[], token: string, webhooksQueue: Queue): Promise<IntakeFigures> {
  await db.raw('CREATE TABLE bench_insert_ceiling (LIKE webhook_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)');
  // Both warmed alike before being measured: the ceiling's callers by one unmeasured run, the
  // API process (whose JIT warms up over seconds of load) by an unmeasured intake run as long.
  const warm = await intakeRun(servers, token, Math.max(WARMUP, DURATION));
  await ceilingRun(db, token);
  const before = await ceilingRun(db, token);
  const cpu = () => servers.map((server) => threadTimes(server.child.pid!)).reduce((sum, times) => sum + times.niced + times.other, 0);
  const cpuBefore = cpu();
  const result = await intakeRun(servers, token, DURATION);
  const cpuAfter = cpu();
  const after = await ceilingRun(db, token);

  const valid = db('webhook_logs').where({ source: 'cryptobot', is_valid: true });
  const figures: IntakeFigures = {
    processes: servers.length,
    ceilings: [before, after],
    result,
    serverCpuMsPerRequest: (1000 * (cpuAfter - cpuBefore)) / result['2xx'],
    accepted: warm['2xx'] + result['2xx'],
    recorded: await count(valid.clone()),
    queuedRows: await count(valid.clone().where({ status: 'queued' })),
    jobsWaiting: await webhooksQueue.getWaitingCount(),
  };
  // The invoices are unknown to the service: only the payments runs are processed.
  await webhooksQueue.obliterate({ force: true });
  await db('webhook_logs').delete();
  await db.schema.dropTable('bench_insert_ceiling');
  if (failures(warm) > 0) result.errors += failures(warm);
  return figures;
}

interface PaymentsFigures {
  workers: number;
  seconds: number;
  deliveredSeconds: number;
  deliveryFailures: number;
  counts: EffectCounts;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function paymentsPhase(db: Knex, panel: FakeRemnawave, port: number, env: NodeJS.ProcessEnv, workerCount: number): Promise<PaymentsFigures> {
  await db('notification_queue').delete();
  await db('webhook_logs').delete();
  await db('payments').delete();
  panel.reset();
  const plan = (await db('subscription_plans').select('id', 'duration_days').where({ name: 'Monthly' }).first()) as { id: string; duration_days: number };
  const payments = await seedPayments(db, panel, { id: plan.id, days: plan.duration_days }, PAYMENTS, nextInvoiceId);
  nextInvoiceId += PAYMENTS;

  const workers: ApiProcess[] = Array.from({ length: workerCount }, () => startEntryProcess('workers/webhooks', env));
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS });
  try {
    await Promise.all(workers.map((worker) => waitForLog(worker, 'worker started')));
    const token = env.CRYPTOBOT_TOKEN!;
    const started = performance.now();
    let next = 0;
    let deliveryFailures = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (let i = next++; i < payments.length; i = next++) {
          const update = invoicePaid(token, payments[i]!.invoiceId, payments[i]!.id);
          const response = await pool.request({ method: 'POST', path: CRYPTO_PAY_PATH, ...update });
          await response.body.dump();
          if (response.statusCode !== 200) deliveryFailures += 1;
        }
      }),
    );
    const deliveredSeconds = (performance.now() - started) / 1000;
    await waitFor(async () => (await completedCount(db)) === payments.length, 'every payment completed');
    const seconds = (performance.now() - started) / 1000;
    // The row becomes `processed` just after its payment commits.
    await waitFor(async () => (await unprocessedCount(db)) === 0, 'every webhook row processed').catch(() => undefined);
    return { workers: workerCount, seconds, deliveredSeconds, deliveryFailures, counts: await countEffects(db, panel, payments, plan.duration_days) };
  } finally {
    await Promise.all(workers.map((worker) => stopWorker(worker)));
    await pool.close();
  }
}

const mark = (ok: boolean) => (ok ? 'met' : '**NOT met**');

/** Prints the intake rows of one measurement; returns whether nothing was lost or refused. */
function reportIntake(intake: IntakeFigures, poolMax: string): boolean {
  const ceiling = intake.ceilings.reduce((sum, value) => sum + value, 0) / intake.ceilings.length;
  const accepted = intake.result['2xx'] / intake.result.duration;
  const ratio = accepted / ceiling;
  // Requests still in flight when autocannon stops are recorded without being counted as 2xx: more rows than 2xx is expected.
  const intakeLost = Math.max(0, intake.accepted - Math.min(intake.queuedRows, intake.jobsWaiting));
  const intakeFailures = failures(intake.result);
  const processes = `${intake.processes} API process${intake.processes > 1 ? 'es' : ''}`;
  console.log(`| INSERT+COMMIT ceiling (${processes} run) | ${ceiling.toFixed(0)} rows/s | | | ${CONNECTIONS} callers, pool ${poolMax}; before / after ${intake.ceilings.map((c) => c.toFixed(0)).join(' / ')} |`);
  console.log(
    `| signed webhooks accepted, ${processes} | ${accepted.toFixed(0)} req/s | | | ${intake.result['2xx']} in ${intake.result.duration}s, ${CONNECTIONS} connections; ` +
      `p50 ${intake.result.latency.p50} ms, p99 ${intake.result.latency.p99} ms${intake.processes > 1 ? ' (the higher of the processes)' : ''}; server CPU ${intake.serverCpuMsPerRequest.toFixed(2)} ms per webhook |`,
  );
  // Judged as deployed: the ceiling's PostgreSQL backends use every core, and so does the fleet;
  // one process (one event loop, one core) is printed beside it for comparison.
  const judged = intake.processes === FLEET_API_PROCESSES;
  console.log(
    `| accepted ÷ ceiling, ${processes} | **${ratio.toFixed(2)}** | ${judged ? `>= ${TARGET_RATIO}` : ''} | ${judged ? mark(ratio >= TARGET_RATIO) : ''} | ` +
      `${judged ? 'the fleet\'s default count (ecosystem.config.js), as deployed' : 'one event loop: not a deployed configuration, shown for comparison'} |`,
  );
  console.log(
    `| intake, ${processes}: errors, non-2xx, timeouts; accepted without a queued row and job | **${intakeFailures}; ${intakeLost}** | 0; 0 | ${mark(intakeFailures === 0 && intakeLost === 0)} | ` +
      `${intake.accepted} accepted (warm-up included), ${intake.recorded} rows, ${intake.queuedRows} queued, ${intake.jobsWaiting} jobs waiting |`,
  );
  return intakeFailures === 0 && intakeLost === 0;
}

function report(intakes: IntakeFigures[], runs: PaymentsFigures[], poolMax: string): boolean {
  console.log(`\n| measure | value | target | | note |`);
  console.log('|---|---|---|---|---|');
  let ok = true;
  for (const intake of intakes) ok = reportIntake(intake, poolMax) && ok;
  for (const run of runs) {
    const { counts } = run;
    const bad = lost(counts) + duplicated(counts) + run.deliveryFailures;
    ok &&= bad === 0;
    console.log(
      `| payments completed/s, ${run.workers} worker${run.workers > 1 ? 's' : ''} | **${(PAYMENTS / run.seconds).toFixed(1)}** | | | ${PAYMENTS} in ${run.seconds.toFixed(1)}s from the first delivery (all delivered after ${run.deliveredSeconds.toFixed(1)}s); ${counts.retries} job retries |`,
    );
    console.log(
      `| lost / duplicated, ${run.workers} worker${run.workers > 1 ? 's' : ''} | **${lost(counts)} / ${duplicated(counts)}** | 0 / 0 | ${mark(bad === 0)} | ` +
        `not completed ${counts.notCompleted}, rows missing ${counts.rowsMissing}, not processed ${counts.rowsUnprocessed}; expiry not moved by exactly the plan ${counts.wrongExpiry}, ` +
        `notification rows not 1 ${counts.notificationsOff}, panel updates not 1 ${counts.panelUpdatesOff}; deliveries not 200 ${run.deliveryFailures} |`,
    );
  }
  if (runs.length === 2) console.log(`\n2 workers ÷ 1 worker: ${(runs[0]!.seconds / runs[1]!.seconds).toFixed(2)}x`);
  return ok;
}

async function main(): Promise<void> {
  console.log(`webhooks benchmark: ${cpus().length} cores, Node ${process.version}, database ${DATABASE}; intake ${DURATION}s x ${CONNECTIONS} connections; ${PAYMENTS} payments per worker run`);
  const panel = await new FakeRemnawave({ token: secret() }).start();
  const cryptoPay = await new FakeCryptoPay({ token: secret() }).start();
  const env = serverEnv({ ...panel.env(), ...cryptoPay.env() });
  const db = knex(knexConfig({ url: testDatabaseUrl(DATABASE), poolMax: Number(env.DATABASE_POOL_MAX) }));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const webhooksQueue = new Queue('webhooks', { connection: redis, prefix: queuePrefix({ redis: { keyPrefix: REDIS_PREFIX } } as Config) });
  const servers: Server[] = [];
  await prepareDatabase();
  try {
    const intakes: IntakeFigures[] = [];
    for (const processes of [...new Set([1, FLEET_API_PROCESSES])]) {
      while (servers.length < processes) servers.push(await forkServer(path.join(__dirname, 'auth-server.ts'), [], env, 'server'));
      intakes.push(await intakePhase(db, servers, env.CRYPTOBOT_TOKEN!, webhooksQueue));
    }
    const runs = [];
    for (const workers of [1, 2]) runs.push(await paymentsPhase(db, panel, servers[0]!.port, env, workers));
    if (!report(intakes, runs, env.DATABASE_POOL_MAX!)) process.exitCode = 1;
  } finally {
    await stopServers(servers);
    await webhooksQueue.close();
    redis.disconnect();
    await db.destroy();
    await panel.stop().catch(() => undefined);
    await cryptoPay.stop().catch(() => undefined);
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error('webhooks bench failed:', error);
  process.exit(1);
});

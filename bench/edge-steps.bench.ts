import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import knex from 'knex';
import { knexConfig } from '../src/infrastructure/db/knex';
import { dropTestDatabase, recreateTestDatabase, testDatabaseUrl } from '../test/support/database';
import { serverEnv } from './support';

/**
 * Where the edge's cost goes (npm run bench:edge:steps): server CPU µs per request as the edge
 * middlewares of src/app.ts are added one at a time in front of the same handler
 * (bench/edge-steps-server.ts, one child process per step; autocannon runs here).
 * BENCH_PATH (default /health; /api/v1/plans reads the database), BENCH_STEPS (e.g. "0,6,7"),
 * BENCH_DURATION (s, default 4), BENCH_ROUNDS (default 2), BENCH_AUTO_PIPELINING=1.
 */
const PATH = process.env.BENCH_PATH ?? '/health';
const DURATION = Number(process.env.BENCH_DURATION ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DATABASE = 'cybervpn_bench_steps';
const NAMES = ['bare Express', '+ request scope', '+ access log', '+ CORS', '+ helmet', '+ query bound', '+ JSON parser', '+ rate limits', '+ declared routes, 404, error handler'];
const STEPS = (process.env.BENCH_STEPS ?? NAMES.map((_n, i) => i).join(',')).split(',').map(Number);

// The same environment as the other benchmarks, on a database and key prefix of its own.
const env: NodeJS.ProcessEnv = serverEnv({
  BENCH_AUTO_PIPELINING: process.env.BENCH_AUTO_PIPELINING,
  DATABASE_URL: testDatabaseUrl(DATABASE),
  REDIS_KEY_PREFIX: `bench-steps:${process.pid}:`,
  HASH_POOL_THREADS: '1',
});

function ask(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message: { cpuMicros: number }) => resolve(message.cpuMicros));
    child.send('cpu');
  });
}

async function measure(step: number): Promise<void> {
  const child = fork(path.join(__dirname, 'edge-steps-server.ts'), [String(step)], { env, execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (message: { port: number }) => resolve(message.port)));
    const url = `http://127.0.0.1:${port}${PATH}`;
    await autocannon({ url, connections: 50, duration: 2 });
    const samples: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      await ask(child);
      const result = await autocannon({ url, connections: 50, duration: DURATION });
      const cpu = await ask(child);
      if (result.non2xx + result.errors > 0) throw new Error(`step ${step}: failed responses`);
      samples.push(`${(cpu / result.requests.total).toFixed(0)} µs (${result.requests.average.toFixed(0)} req/s)`);
    }
    console.log(`| ${NAMES[step]} | ${samples.join(' · ')} |`);
  } finally {
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  await recreateTestDatabase(DATABASE);
  const db = knex(knexConfig({ url: testDatabaseUrl(DATABASE), poolMax: 1 }));
  await db.seed.run().finally(() => db.destroy());
  try {
    console.log(`GET ${PATH}: server CPU per request${process.env.BENCH_AUTO_PIPELINING === '1' ? ' (Redis auto-pipelining)' : ''}\n| stack | µs/request (req/s) per round |\n|---|---|`);
    for (const step of STEPS) await measure(step);
  } finally {
    await dropTestDatabase(DATABASE).catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

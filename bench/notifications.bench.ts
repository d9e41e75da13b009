import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import knex from 'knex';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { knexConfig } from '../src/infrastructure/db/knex';
import { jobId } from '../src/infrastructure/queues/queue-names';
import { FakeTelegram } from '../test/fakes/telegram';
import { testDatabaseUrl } from '../test/support/database';
import { deleteKeysWithPrefix } from '../test/support/redis-keys';
import { cleanUp, DATABASE, percentile, prepareDatabase, REDIS_PREFIX, REDIS_URL, serverEnv } from './support';

/**
 * Notification benchmark (npm run bench:notifications): workers/notifications.ts as real processes
 * (production mode, under tsx) against the fake Bot API, PostgreSQL and Redis.
 *
 * 1. Throughput: BENCH_MESSAGES (300) rows to distinct chats queued at once, with one worker and
 *    then with two; delivered messages per second (as the fake accepted them) against
 *    TELEGRAM_RATE_PER_SECOND (BENCH_RATE, 30). Target: at least 0.9 of the rate, never above it.
 * 2. Lag: BENCH_SCHEDULED (120) messages with send_at spread over the next BENCH_SPREAD seconds
 *    (8), under the rate, two workers: delivery time minus send_at, p50/p99/max.
 *
 * The driver (the fake and the producer) and the workers share the same 2 cores: quote ratios.
 */
const RATE = Number(process.env.BENCH_RATE ?? 30);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 300);
const SCHEDULED = Number(process.env.BENCH_SCHEDULED ?? 120);
const SPREAD_S = Number(process.env.BENCH_SPREAD ?? 8);
const TARGET_RATIO = 0.9;

function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'workers', 'notifications.ts')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('worker started')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`notification worker exited with ${code}`)));
  });
}

const stop = (children: ChildProcess[]) =>
  Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM'))))));

async function until(check: () => boolean, timeoutMs: number, state: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`benchmark timed out: ${JSON.stringify(await state())}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  const telegram = await new FakeTelegram().start();
  await prepareDatabase();
  const db = knex(knexConfig({ url: testDatabaseUrl(DATABASE), poolMax: 4 }));
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('notifications', { connection, prefix: `${REDIS_PREFIX}{queues}` });
  const env = serverEnv({
    ...telegram.env(),
    LOG_LEVEL: 'info',
    TELEGRAM_RATE_PER_SECOND: String(RATE),
    // Hours: neither the sweep nor the panel scan runs during the measurement.
    NOTIFICATION_SWEEP_INTERVAL: '1h',
    EXPIRY_SCAN_INTERVAL: '24h',
  });
  let chat = 1;
  const queueRows = async (count: number, sendAt: (index: number) => Date | null) => {
    const rows = Array.from({ length: count }, (_, index) => ({ target_telegram_id: chat++, message: `bench ${index}`, send_at: sendAt(index) }));
    const inserted = (await db('notification_queue').insert(rows).returning(['id', 'send_at'])) as Array<{ id: string; send_at: Date | null }>;
    await queue.addBulk(
      inserted.map((row) => ({
        name: 'deliver',
        data: { notificationId: row.id },
        opts: { jobId: jobId('notification', row.id), delay: row.send_at ? Math.max(0, row.send_at.getTime() - Date.now()) : 0, removeOnComplete: true },
      })),
    );
    return inserted;
  };
  const state = async () => ({
    delivered: telegram.delivered.length,
    attempts: telegram.attempts.length,
    jobs: await queue.getJobCounts(),
    rows: await db('notification_queue').groupBy('status').select('status').count({ count: '*' }),
  });
  const results: string[] = [];
  const workers: ChildProcess[] = [];
  try {
    for (const count of [1, 2]) {
      while (workers.length < count) workers.push(await startWorker(env));
      telegram.reset();
      await queueRows(MESSAGES, () => null);
      await until(() => telegram.delivered.length >= MESSAGES, 120_000 + (MESSAGES / RATE) * 3000, state);
      const times = telegram.delivered.map((message) => message.at).sort((a, b) => a - b);
      const rate = (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
      const ratio = rate / RATE;
      let busiest = 0;
      for (let i = 0, j = 0; i < times.length; i += 1) {
        while (times[i]! - times[j]! >= 1000) j += 1;
        busiest = Math.max(busiest, i - j + 1);
      }
      const verdict = ratio >= TARGET_RATIO && ratio <= 1 ? 'met' : 'missed';
      results.push(`| ${count} worker${count > 1 ? 's' : ''}: ${MESSAGES} messages | ${rate.toFixed(2)}/s against ${RATE}/s: ${ratio.toFixed(3)}; busiest second ${busiest} | ≥ ${TARGET_RATIO}, ≤ 1 ${verdict} |`);
      console.log(`throughput, ${count} worker(s): ${rate.toFixed(2)} msg/s, ${ratio.toFixed(3)} of ${RATE}/s, busiest second ${busiest}`);
    }

    telegram.reset();
    const start = Date.now() + 1000;
    const scheduled = await queueRows(SCHEDULED, (index) => new Date(start + Math.floor((index * SPREAD_S * 1000) / SCHEDULED)));
    await until(() => telegram.delivered.length >= SCHEDULED, 60_000 + SPREAD_S * 1000, state);
    const sendAtOf = new Map(scheduled.map((row, index) => [`bench ${index}`, row.send_at!.getTime()]));
    const lags = telegram.delivered.map((message) => message.at - sendAtOf.get(message.text)!);
    const early = lags.filter((lag) => lag < 0).length;
    results.push(
      `| lag send_at -> delivery, ${SCHEDULED} over ${SPREAD_S} s, 2 workers | p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms; ${early} early | (none) |`,
    );
    console.log(`lag: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms, early ${early}`);
  } finally {
    await stop(workers);
    await queue.close();
    await deleteKeysWithPrefix(connection, REDIS_PREFIX);
    connection.disconnect();
    await db.destroy();
    await telegram.stop();
    await cleanUp();
  }
  console.log(`\n| run | figure | target |\n|---|---|---|\n${results.join('\n')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

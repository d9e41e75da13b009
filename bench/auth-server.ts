import type { Gauge } from 'prom-client';
import { loadConfig } from '../src/config';
import { startServer } from '../src/server';

/**
 * The server of the authentication benchmark, in a child process of bench/auth.bench.ts: the real
 * API process (src/server.ts), configured from the environment. Adds nothing to the app; it only
 * answers the driver over IPC with what the pool reports (threads, verifications completed) and
 * the deepest hash queue it saw since the last question (sampled every 100 ms through the
 * pool's own gauge, which leaves the event-loop histogram of /metrics alone).
 */
export interface PoolReport {
  threads: number;
  completedTasks: number;
  maxQueue: number;
}

async function main(): Promise<void> {
  const running = await startServer(loadConfig(process.env));
  const { passwordHasher, metrics } = running.container.cradle;
  const queueGauge = metrics.registry.getSingleMetric('password_hash_queue_size') as Gauge | undefined;
  if (!queueGauge) throw new Error('password_hash_queue_size is not registered');

  let maxQueue = 0;
  const sampler = setInterval(() => {
    void queueGauge.get().then((metric) => {
      maxQueue = Math.max(maxQueue, metric.values[0]?.value ?? 0);
    });
  }, 100);
  sampler.unref();

  process.on('message', () => {
    const report: PoolReport = { threads: passwordHasher.threads, completedTasks: passwordHasher.completedTasks, maxQueue };
    maxQueue = 0;
    process.send?.(report);
  });
  process.once('SIGTERM', () => {
    clearInterval(sampler);
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.send?.({ port: running.port });
}

main().catch((error: unknown) => {
  console.error('auth bench server failed:', error);
  process.exit(1);
});

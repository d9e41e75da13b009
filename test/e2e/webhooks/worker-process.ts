import { startEntryProcess, type ApiProcess } from '../api-process';
import { testEnv } from '../../support/env';

/** Settings that make retries, stalls and the sweep happen within a test's patience. */
export const FAST_WORKER_ENV = {
  LOG_LEVEL: 'info',
  WORKER_CONCURRENCY: '2',
  WORKER_LOCK_DURATION: '2s',
  WORKER_STALLED_INTERVAL: '1s',
  WEBHOOK_JOB_ATTEMPTS: '3',
  WEBHOOK_JOB_BACKOFF: '1s',
  WEBHOOK_SWEEP_INTERVAL: '1s',
  WEBHOOK_SWEEP_MIN_AGE: '1s',
};

/** The real workers/webhooks.ts entry point as a child process (compiled under npm test, tsx otherwise). */
export function startWebhookWorker(overrides: Record<string, string> = {}): ApiProcess {
  return startEntryProcess('workers/webhooks', testEnv({ ...FAST_WORKER_ENV, ...overrides }));
}

/** The JSON log lines the worker wrote so far. */
export function logLines(worker: ApiProcess): Record<string, unknown>[] {
  return `${worker.stdout()}\n${worker.stderr()}`
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function waitForLog(worker: ApiProcess, message: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = logLines(worker).find((entry) => entry.message === message);
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no "${message}" in the worker's log:\n${worker.stdout()}\n${worker.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function stopWorker(worker: ApiProcess): Promise<number | string> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return worker.exited;
}

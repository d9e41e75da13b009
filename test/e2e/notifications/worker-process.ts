import { startEntryProcess, type ApiProcess } from '../api-process';
import { stopWorker, waitForLog } from '../webhooks/worker-process';

/** The real workers/notifications.ts entry point as a child process (compiled under npm test, tsx otherwise). */
export function startNotificationWorker(env: NodeJS.ProcessEnv): ApiProcess {
  return startEntryProcess('workers/notifications', env);
}

/** Its consumers run from the "worker started" log line on. */
export async function waitForWorkerStart(worker: ApiProcess): Promise<void> {
  await waitForLog(worker, 'worker started');
}

export { stopWorker };

/** Polls `check` until it holds (or throws with `what` after the timeout): no fixed sleeps. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

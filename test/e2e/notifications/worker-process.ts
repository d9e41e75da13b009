import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { envSchema } from '../../../src/config/env.schema';

/**
 * Runs workers/notifications.ts as a child process, like test/e2e/api-process.ts runs the API: the
 * compiled build-test/workers/notifications.js under nyc (npm test), through tsx otherwise, in an
 * empty temporary directory, with exactly `env` as its configuration.
 */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | string>;
}

function workerCommand(): { execPath: string; args: string[] } {
  const compiled = path.extname(__filename) === '.js';
  if (compiled) return { execPath: process.execPath, args: [path.resolve(__dirname, '../../../workers/notifications.js')] };
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return { execPath: process.execPath, args: ['--import', tsx, path.resolve(__dirname, '../../../workers/notifications.ts')] };
}

export function startNotificationWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const cwd = mkdtempSync(path.join(tmpdir(), 'cybervpn-notify-'));
  const { execPath, args } = workerCommand();
  const configKeys = new Set(Object.keys((envSchema.describe() as { keys: Record<string, unknown> }).keys));
  const inherited: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!configKeys.has(key)) inherited[key] = value;
  const child = spawn(execPath, args, { cwd, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve(code ?? signal ?? -1);
    });
  });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { child, stdout: () => out, stderr: () => err, exited, stop };
}

/** Waits until the worker logged that it started (its consumers run from then on). */
export async function waitForWorkerStart(worker: WorkerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (worker.stdout().includes('worker started')) return;
    if (worker.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the notification worker did not start.\nstdout:\n${worker.stdout()}\nstderr:\n${worker.stderr()}`);
}

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

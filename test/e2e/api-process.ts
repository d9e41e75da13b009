import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { envSchema } from '../../src/config/env.schema';

/**
 * Runs the real API entry point as a child process: the compiled build-test/src/server.js when
 * this file is compiled JS (npm test, under nyc, which follows the child), src/server.ts through
 * tsx otherwise. The child runs in an empty temporary directory so that a developer's `.env` in
 * the repository root never fills in what a test left out on purpose. `source: true` runs
 * src/server.ts through tsx in either case (what `tsx src/server.ts` gives a developer).
 */
export function serverCommand({ source = false } = {}): { execPath: string; args: string[] } {
  return entryCommand('src/server', { source });
}

/** The same for any entry point of the project (`src/server`, `workers/webhooks`), named without extension. */
export function entryCommand(entry: string, { source = false } = {}): { execPath: string; args: string[] } {
  const compiled = path.extname(__filename) === '.js';
  if (compiled && !source) return { execPath: process.execPath, args: [path.resolve(__dirname, '../..', `${entry}.js`)] };
  const file = path.resolve(__dirname, compiled ? '../../..' : '../..', `${entry}.ts`);
  // `--import tsx` would resolve tsx from the child's cwd (a temporary directory): name the file.
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  return { execPath: process.execPath, args: ['--import', tsx, file] };
}

export interface ApiProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or the signal name when killed by one). */
  readonly exited: Promise<number | string>;
  readonly cwd: string;
}

/** Starts the API with exactly `env` (plus what nyc needs); `files` are written into its working directory first. */
export function startApiProcess(env: NodeJS.ProcessEnv, files: Record<string, string> = {}, options: { source?: boolean } = {}): ApiProcess {
  return startEntryProcess('src/server', env, files, options);
}

/** Starts any entry point (see entryCommand) the way startApiProcess starts the API. */
export function startEntryProcess(entry: string, env: NodeJS.ProcessEnv, files: Record<string, string> = {}, options: { source?: boolean } = {}): ApiProcess {
  const cwd = mkdtempSync(path.join(tmpdir(), 'cybervpn-proc-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(cwd, name), content);
  const { execPath, args } = entryCommand(entry, options);
  // Keep what nyc and the OS need (nyc's hooks travel in the environment), never a configuration
  // key of the parent: the child's configuration is exactly `env`.
  const configKeys = new Set(Object.keys((envSchema.describe() as { keys: Record<string, unknown> }).keys));
  const inherited: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!configKeys.has(key)) inherited[key] = value;
  const child = spawn(execPath, args, { cwd, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited, cwd };
}

/** A port nobody listens on right now (the OS picks it; PORT=0 would not tell us which). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls GET /health until it answers 200, the child exits, or the attempts run out. */
export async function waitForHealth(port: number, api: ApiProcess, attempts = 200): Promise<void> {
  let exited = false;
  void api.exited.then(() => {
    exited = true;
  });
  for (let attempt = 0; attempt < attempts && !exited; attempt += 1) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the API never became healthy.\nstdout:\n${api.stdout()}\nstderr:\n${api.stderr()}`);
}

/** Resolves true when a TCP connection to the port is refused, false when it is accepted. */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

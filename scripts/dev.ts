/**
 * `npm run dev`: the whole service on a developer machine with one command.
 * - creates .env from .env.example when there is none;
 * - when DATABASE_URL is unset (development only), runs the embedded PostgreSQL of
 *   src/cli/dev-database.ts (data in .data/postgres, git-ignored), the one every CLI then finds;
 * - migrates and seeds (in this process), then runs the API (and each worker process that exists) under tsx watch.
 * The project is the working directory (npm runs scripts from the package root): its .env and
 * .data/ live there, as they do for the CLIs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import knex from 'knex';
import { useDevelopmentDatabaseOrExit } from '../src/cli/dev-database';
import { runDatabaseCommand } from '../src/cli/migration-commands';
import { loadConfigOrExit } from '../src/config';
import { knexConfig } from '../src/infrastructure/db/knex';

const CODE_ROOT = path.resolve(__dirname, '..');
const PROJECT_DIR = process.cwd();
const ENV_FILE = path.join(PROJECT_DIR, '.env');
const WORKER_ENTRIES = ['workers/webhooks.ts', 'workers/notifications.ts'];

function run(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { cwd: PROJECT_DIR, env, stdio: 'inherit' });
}

/** `npm run migrate` and `npm run seed`, in this process: two fewer TypeScript processes to boot. */
async function migrateAndSeed(): Promise<void> {
  const db = knex(knexConfig(loadConfigOrExit().database));
  try {
    await runDatabaseCommand(db, 'latest');
    await runDatabaseCommand(db, 'seed');
  } finally {
    await db.destroy();
  }
}

async function main(): Promise<void> {
  if (!existsSync(ENV_FILE)) {
    copyFileSync(path.join(CODE_ROOT, '.env.example'), ENV_FILE);
    console.log('created .env from .env.example');
  }
  process.loadEnvFile(ENV_FILE);
  // Sources under tsx default to development anyway; said here so every child agrees.
  process.env.NODE_ENV ??= 'development';
  const database = await useDevelopmentDatabaseOrExit({ runningUntil: 'npm run dev stops', callerHandlesSignals: true });
  const env = { ...process.env };

  await migrateAndSeed();

  const tsx = path.join(CODE_ROOT, 'node_modules', '.bin', 'tsx');
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

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcrypt';
import { Redis } from 'ioredis';
import knex from 'knex';
import { knexConfig } from '../src/infrastructure/db/knex';
import { dropTestDatabase, recreateTestDatabase, testDatabaseUrl } from '../test/support/database';
import { deleteKeysWithPrefix } from '../test/support/redis-keys';

/**
 * What the benchmarks share: the throwaway database `cybervpn_bench` (BENCH_DATABASE; created, migrated, seeded,
 * dropped), Redis keys under `bench:<driver pid>:` (deleted at the end), the production
 * environment of a server child (secrets generated at random: production refuses placeholders),
 * forking a server child under tsx, and signing in.
 */
/** BENCH_DATABASE overrides the name, so that a benchmark can run beside another one. */
export const DATABASE = process.env.BENCH_DATABASE ?? 'cybervpn_bench';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
export const REDIS_PREFIX = `bench:${process.pid}:`;
export const ORIGIN = 'https://admin.bench.test';
export const BENCH_ADMIN = { login: 'bench_admin', password: 'bench-password-1' };
export const BCRYPT_COST = 12;

export interface Server {
  child: ChildProcess;
  port: number;
}

export const secret = () => randomBytes(48).toString('base64url');

/** A production environment for a server child; `overrides` win. */
export function serverEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: testDatabaseUrl(DATABASE),
    DATABASE_POOL_MAX: '10',
    REDIS_URL,
    REDIS_KEY_PREFIX: REDIS_PREFIX,
    JWT_SECRET: secret(),
    BCRYPT_COST: String(BCRYPT_COST),
    CORS_ORIGINS: ORIGIN,
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_WINDOW: '60s',
    // Counted on every limited request, never reached.
    RATE_LIMIT_GLOBAL_MAX: '1000000000',
    RATE_LIMIT_AUTH_MAX: '1000000000',
    REMNAWAVE_URL: 'http://127.0.0.1:9',
    REMNAWAVE_TOKEN: secret(),
    REMNAWAVE_WEBHOOK_SECRET: secret(),
    CRYPTOBOT_TOKEN: secret(),
    TELEGRAM_BOT_TOKEN: secret(),
    GITHUB_CLIENT_ID: 'bench-client',
    GITHUB_CLIENT_SECRET: secret(),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    METRICS_TOKEN: secret(),
    ...overrides,
  };
}

/** Recreates and migrates the bench database, runs the seeds, and adds one active viewer (bcrypt at BCRYPT_COST). */
export async function prepareDatabase(admin = BENCH_ADMIN): Promise<void> {
  await recreateTestDatabase(DATABASE);
  const db = knex(knexConfig({ url: testDatabaseUrl(DATABASE), poolMax: 1 }));
  try {
    await db.seed.run();
    await db('admin_users').insert({
      login: admin.login,
      role: 'viewer',
      is_active: true,
      password_hash: await bcrypt.hash(admin.password, BCRYPT_COST),
    });
  } finally {
    await db.destroy();
  }
}

/**
 * Forks a server entry (a .ts file) under tsx; it answers `{ port }` once listening. BENCH_CPU_PROF
 * (a directory) makes it write a V8 CPU profile there on exit.
 */
export function forkServer(file: string, args: string[], env: NodeJS.ProcessEnv, label: string): Promise<Server> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(file, args, { env, execArgv: ['--import', 'tsx', ...profile], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve({ child, port: message.port }));
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
  });
}

/** SIGTERM to each server (they drain and close their pools), resolved when all have exited. */
export async function stopServers(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise((resolve) => {
          if (server.child.exitCode !== null || server.child.signalCode !== null) {
            resolve(undefined);
            return;
          }
          server.child.once('exit', resolve);
          server.child.kill('SIGTERM');
        }),
    ),
  );
}

/** Deletes the bench Redis keys and drops the bench database. */
export async function cleanUp(): Promise<void> {
  await deleteBenchKeys();
  await new Promise((resolve) => setTimeout(resolve, 500));
  await dropTestDatabase(DATABASE).catch(() => undefined);
}

/** Nearest-rank percentile (p in 0..100) of `values`, which it does not reorder; NaN when empty. */
export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** One login; returns the access token. */
export async function signIn(port: number, admin = BENCH_ADMIN): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login_or_email: admin.login, password: admin.password }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`bench login failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function deleteBenchKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await deleteKeysWithPrefix(redis, REDIS_PREFIX);
  } finally {
    redis.disconnect();
  }
}

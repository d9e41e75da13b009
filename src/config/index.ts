import { availableParallelism } from 'node:os';
import path from 'node:path';
import { envSchema } from './env.schema';
import { buildConfig, type Config, type ValidatedEnv } from './config';
import { productionViolations } from './production-rules';

export type { Config } from './config';

/** Raised when the environment cannot make a valid Config; the message names keys, never values. */
export class ConfigError extends Error {
  constructor(readonly badKeys: string[]) {
    super(`Invalid configuration: ${badKeys.join(', ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once and returns the frozen Config, or throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { error, value } = envSchema.validate(env, { abortEarly: false, convert: true });
  const bad = new Set<string>();
  for (const detail of error?.details ?? []) {
    const key = String(detail.path[0]);
    bad.add(detail.type === 'any.required' ? `${key} (missing)` : `${key} (invalid)`);
  }
  const validated = value as ValidatedEnv;
  if (bad.size === 0 && validated.NODE_ENV === 'production') {
    for (const violation of productionViolations(validated)) bad.add(violation);
  }
  if (bad.size > 0) throw new ConfigError([...bad].sort());
  return buildConfig(validated, availableParallelism());
}

/**
 * NODE_ENV of an entry point when neither the environment nor `.env` sets it. Compiled JavaScript
 * (dist/: `npm start`, `npm run migrate:dist`, the compiled knexfile) is a deploy, so it gets the
 * production rules: a deploy that forgets NODE_ENV is refused its placeholder secrets instead of
 * quietly running with development settings. TypeScript run through tsx (`npm run dev`, the CLIs)
 * is a developer's machine. (loadConfig itself keeps the schema default, development.)
 */
export const ENTRY_POINT_NODE_ENV = path.extname(__filename) === '.js' ? 'production' : 'development';

/** Reads `.env` of the working directory when there is one; the environment wins over it. */
export function loadDotEnv(): void {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone is the configuration.
  }
}

/** NODE_ENV as the entry points see it: the environment, else `.env`, else ENTRY_POINT_NODE_ENV. */
export function entryPointNodeEnv(): string {
  loadDotEnv();
  process.env.NODE_ENV ??= ENTRY_POINT_NODE_ENV;
  return process.env.NODE_ENV;
}

/**
 * Entry points call this: reads `.env` when present (development), applies the entry-point
 * NODE_ENV default, validates, and on failure prints one line naming every bad key and exits non-zero.
 */
export function loadConfigOrExit(): Config {
  entryPointNodeEnv();
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

import { availableParallelism } from 'node:os';
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
 * Entry points call this: reads `.env` when present (development), validates, and on failure
 * prints one line naming every bad key and exits non-zero.
 */
export function loadConfigOrExit(): Config {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone is the configuration.
  }
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

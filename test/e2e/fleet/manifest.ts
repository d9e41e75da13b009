import { existsSync } from 'node:fs';
import path from 'node:path';

/** One app of ecosystem.config.js, as PM2 reads it. */
export interface ManifestApp {
  name: string;
  script: string;
  cwd: string;
  instances: number;
  exec_mode: string;
  increment_var: string;
  env: Record<string, string | number>;
  kill_timeout: number;
}

/** The repository root, whether this runs as .ts (tsx) or compiled under build-test/. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'ecosystem.config.js'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('ecosystem.config.js not found');
    dir = parent;
  }
  return dir;
}

/** Loads the manifest afresh, as PM2 would in an environment holding `env`. */
export function loadManifest(env: Record<string, string> = {}): ManifestApp[] {
  const file = path.join(repoRoot(), 'ecosystem.config.js');
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  try {
    delete require.cache[require.resolve(file)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- PM2 loads the manifest with require(), and so does this.
    return (require(file) as { apps: ManifestApp[] }).apps;
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** The project entry point (for entryCommand) that a manifest script runs from dist: `dist/src/server.js` -> `src/server`. */
export const entryOf = (app: ManifestApp): string => app.script.replace(/^dist\//, '').replace(/\.js$/, '');

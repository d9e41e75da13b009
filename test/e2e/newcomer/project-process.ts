import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { envSchema } from '../../../src/config/env.schema';

/** Whether this file runs compiled (npm test: build-test/) or as TypeScript (npm run test:dev). */
export const COMPILED = path.extname(__filename) === '.js';
/** The repository: sources, node_modules, knexfile.js. */
export const REPO_ROOT = path.resolve(__dirname, COMPILED ? '../../../..' : '../../..');
/** The compiled tree of this run (build-test/), when there is one. */
export const COMPILED_ROOT = COMPILED ? path.resolve(__dirname, '../../..') : undefined;

/** What `npm run <script>` runs for our TypeScript entry points: node with tsx, on the source file. */
export function tsxArgs(entry: string): string[] {
  // `--import tsx` would resolve tsx from the child's cwd (a temporary directory): name the file.
  return ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(REPO_ROOT, entry)];
}

/** The parent's environment minus every configuration key: a child's configuration is exactly what a test gives it. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const configKeys = new Set([...Object.keys((envSchema.describe() as { keys: Record<string, unknown> }).keys), 'DEV_POSTGRES_PORT']);
  const inherited: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!configKeys.has(key)) inherited[key] = value;
  return { ...inherited, ...env };
}

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly done: Promise<Outcome>;
}

/** Starts `node <args>` in `cwd` with exactly `env` (see childEnv), feeding `stdin` when given. */
export function startNode(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Running {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: childEnv(options.env), stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Outcome>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  child.stdin.end(options.stdin ?? '');
  return { child, output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`, done };
}

export function runNode(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; stdin?: string }): Promise<Outcome> {
  return startNode(args, options).done;
}

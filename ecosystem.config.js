/**
 * The process manifest PM2 reads (`pm2 start ecosystem.config.js`, after `npm run build` and
 * `npm run migrate:dist`): N API processes and M processes of each worker kind, all from dist.
 * Counts come from FLEET_API_INSTANCES and FLEET_<KIND>_WORKERS (default 2 each); every other
 * setting comes from the environment PM2 is started with, or `.env` in this directory.
 *
 * Each API instance gets its own port (PORT, PORT + 1, ...) behind the load balancer, each worker
 * its own WORKER_HEALTH_PORT, so a supervisor probes every process. PM2 stops a process with
 * SIGINT, which drains it like SIGTERM; kill_timeout leaves more than SHUTDOWN_TIMEOUT (API) and
 * WORKER_LOCK_DURATION (a running job) before PM2 resorts to SIGKILL.
 */
const { existsSync } = require('node:fs');
const path = require('node:path');

const count = (name) => Number(process.env[name] ?? 2);

/** Worker kinds: workers/<kind>.ts, built to dist/workers/<kind>.js; only those in this tree are started. */
const WORKERS = [
  { kind: 'webhooks', healthPort: 9100 },
  { kind: 'notifications', healthPort: 9200 },
].filter(({ kind }) => existsSync(path.join(__dirname, 'workers', `${kind}.ts`)));

module.exports = {
  apps: [
    {
      name: 'api',
      script: 'dist/src/server.js',
      cwd: __dirname,
      instances: count('FLEET_API_INSTANCES'),
      exec_mode: 'fork',
      increment_var: 'PORT',
      env: { NODE_ENV: 'production', PORT: 8000 },
      kill_timeout: 15_000,
      max_memory_restart: '1G',
    },
    ...WORKERS.map(({ kind, healthPort }) => ({
      name: `worker-${kind}`,
      script: `dist/workers/${kind}.js`,
      cwd: __dirname,
      instances: count(`FLEET_${kind.toUpperCase()}_WORKERS`),
      exec_mode: 'fork',
      increment_var: 'WORKER_HEALTH_PORT',
      env: { NODE_ENV: 'production', WORKER_HEALTH_PORT: healthPort },
      kill_timeout: 40_000,
      max_memory_restart: '1G',
    })),
  ],
};

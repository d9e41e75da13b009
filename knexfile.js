/**
 * What the real knex CLI loads: it looks for knexfile.js before knexfile.ts, and the TypeScript
 * loaders it would try for knexfile.ts (ts-node and the like) are not installed here.
 * - development: registers tsx's CommonJS hook and loads knexfile.ts (migrations/*.ts);
 * - production (NODE_ENV=production in the environment or .env, or no tsx: npm ci --omit=dev):
 *   the compiled dist/knexfile.js (dist/migrations/*.js), after `npm run build`.
 * Either way one knex_migrations history, shared with `npm run migrate` and `migrate:dist`.
 */
const path = require('node:path');

try {
  process.loadEnvFile(path.join(__dirname, '.env'));
} catch {
  // no .env: the environment alone decides
}

function tsxInstalled() {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
}

if (process.env.NODE_ENV !== 'production' && tsxInstalled()) {
  require('tsx/cjs');
  module.exports = require('./knexfile.ts');
} else {
  module.exports = require('./dist/knexfile.js');
}

import { loadConfigOrExit } from './src/config';
import { knexConfig } from './src/infrastructure/db/knex';

/** For the knex CLI: the same settings and migration source the service uses. */
module.exports = knexConfig(loadConfigOrExit().database);

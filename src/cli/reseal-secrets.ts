/**
 * `npm run secrets:reseal` (dist: `node dist/src/cli/reseal-secrets.js`): the last step of rotating
 * DATA_ENCRYPTION_KEY. Every secret at rest not sealed with the current key is opened with the
 * previous ones (DATA_ENCRYPTION_PREVIOUS_KEYS) and sealed again with the current key; afterwards
 * the previous keys can be dropped from the configuration. Safe to run again, and while the service
 * runs: each value is replaced only if it is still the one that was read.
 */
import knex, { type Knex } from 'knex';
import { loadConfigOrExit, type Config } from '../config';
import { knexConfig } from '../infrastructure/db/knex';
import { decryptSecret, encryptSecret, isSealedWith } from '../shared/secrets';
import { useDevelopmentDatabaseOrExit } from './dev-database';

/** Every sealed column of the schema. */
const SEALED_COLUMNS = [
  { table: 'admin_users', column: 'totp_secret_encrypted' },
  { table: 'oauth_accounts', column: 'access_token_encrypted' },
  { table: 'oauth_accounts', column: 'refresh_token_encrypted' },
  { table: 'outgoing_webhooks', column: 'secret_encrypted' },
] as const;

export async function resealSecrets(db: Knex, config: Config): Promise<number> {
  let resealed = 0;
  for (const { table, column } of SEALED_COLUMNS) {
    const rows = (await db(table).select('id', column).whereNotNull(column)) as Array<Record<string, string>>;
    for (const row of rows) {
      const sealed = row[column]!;
      if (isSealedWith(sealed, config.dataEncryptionKey)) continue;
      const fresh = encryptSecret(decryptSecret(sealed, config.dataEncryptionKeys), config.dataEncryptionKey);
      resealed += await db(table).where({ id: row.id, [column]: sealed }).update({ [column]: fresh });
    }
  }
  return resealed;
}

async function main(): Promise<void> {
  const devDatabase = await useDevelopmentDatabaseOrExit();
  try {
    const config = loadConfigOrExit();
    const db = knex(knexConfig(config.database));
    try {
      console.log(`resealed ${await resealSecrets(db, config)} secrets with the current DATA_ENCRYPTION_KEY`);
    } finally {
      await db.destroy();
    }
  } finally {
    await devDatabase?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

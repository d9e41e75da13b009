import { recreateTestDatabase } from './database';

/** Once per run: a fresh test database at the latest migration. */
export async function mochaGlobalSetup(): Promise<void> {
  await recreateTestDatabase();
}

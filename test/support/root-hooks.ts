import { contractViolations } from '../fakes/remnawave';
import { recreateTestDatabase } from './database';

/** Once per run: a fresh test database at the latest migration. */
export async function mochaGlobalSetup(): Promise<void> {
  await recreateTestDatabase();
}

export const mochaHooks = {
  /** The fake panel checked every request and reply against Remnawave's contract: none may drift. */
  afterAll(): void {
    if (contractViolations.length > 0) {
      throw new Error(`Remnawave contract violations during the run:\n${contractViolations.slice(0, 20).join('\n')}`);
    }
  },
};

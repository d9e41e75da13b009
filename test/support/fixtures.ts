import bcrypt from 'bcrypt';
import type { AppContainer } from '../../src/container';
import type { AdminRecord } from '../../src/modules/admins/admins.repository';
import type { Role } from '../../src/shared/permissions';

/** Admin accounts for tests, inserted directly with pre-hashed passwords (cost 4 keeps suites fast). */
export const DEFAULT_PASSWORD = 'correct-horse-9';
const hashes = new Map<string, string>();

async function hashOnce(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (!hash) {
    hash = await bcrypt.hash(password, 4);
    hashes.set(password, hash);
  }
  return hash;
}

let sequence = 0;

export async function createAdmin(
  container: AppContainer,
  overrides: { login?: string; email?: string | null; role?: Role; password?: string; is_active?: boolean } = {},
): Promise<AdminRecord & { password: string }> {
  sequence += 1;
  const password = overrides.password ?? DEFAULT_PASSWORD;
  const [admin] = await container.cradle
    .db<AdminRecord>('admin_users')
    .insert({
      login: overrides.login ?? `admin_${sequence}`,
      email: overrides.email === undefined ? `admin${sequence}@example.test` : overrides.email,
      role: overrides.role ?? 'admin',
      is_active: overrides.is_active ?? true,
      password_hash: await hashOnce(password),
    })
    .returning('*');
  return { ...(admin as AdminRecord), password };
}

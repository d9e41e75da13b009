import { expect } from 'chai';
import type { AuditEntry } from '../../../src/modules/audit/audit.repository';
import type { Role } from '../../../src/shared/permissions';
import { signIn, type SignedIn } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import type { TestApp } from '../../support/test-app';

/** An admin of the given role, signed in over HTTP. */
export async function signedInAdmin(t: TestApp, role: Role = 'super_admin'): Promise<SignedIn & { id: string; login: string; password: string }> {
  const admin = await createAdmin(t.container, { role });
  return { ...(await signIn(t, admin.login, admin.password)), id: admin.id, login: admin.login, password: admin.password };
}

export async function auditRowsOf(t: TestApp, requestId: string): Promise<AuditEntry[]> {
  return t.container.cradle.db<AuditEntry>('audit_logs').where({ request_id: requestId }).orderBy('created_at');
}

/** What no audit value may ever hold. */
export function expectNoSecrets(entries: AuditEntry[]): void {
  const text = JSON.stringify(entries.map((entry) => [entry.old_value, entry.new_value]));
  for (const secret of ['password_hash', '$2b$', 'totp_secret', 'backup_code', 'token_hash']) {
    expect(text, `audit values contain ${secret}`).to.not.include(secret);
  }
}

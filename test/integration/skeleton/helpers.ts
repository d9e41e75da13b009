import { asValue } from 'awilix';
import { expect } from 'chai';
import type { Response } from 'supertest';
import type { AppContainer } from '../../../src/container';
import type { Principal, RequestAuthenticator } from '../../../src/http/access-guard';
import type { Role } from '../../../src/shared/permissions';
import { createAdmin } from '../../support/fixtures';

/** Text that must never reach a response body (SPEC "Errors": no stack, SQL, path, library name). */
export const LEAKS = ['stack', 'at /', 'node_modules', 'SELECT', 'select ', 'knex', 'pg', '/etc/passwd', 'subscription_plans'];

export function expectCleanBody(res: Response, extra: string[] = []): void {
  for (const leak of [...LEAKS, ...extra]) {
    expect(res.text, `the body leaks "${leak}": ${res.text}`).not.to.include(leak);
  }
}

/** An authenticator fake: every request acts as an admin of the role the test sets. */
export class FakeAuthenticator implements RequestAuthenticator {
  role: Role = 'super_admin';
  adminId = '00000000-0000-4000-8000-0000000000aa';

  /** Acts as a real row of admin_users (what audit records refer to); call after each reset(). */
  async actAsNewAdmin(container: AppContainer): Promise<void> {
    this.adminId = (await createAdmin(container, { role: 'super_admin' })).id;
  }

  async authenticate(): Promise<Principal> {
    return { kind: 'admin', adminId: this.adminId, role: this.role, sessionId: '00000000-0000-4000-8000-0000000000bb', via: 'bearer' };
  }

  register(container: AppContainer): void {
    container.register({ authenticator: asValue(this) });
  }
}

import { asValue } from 'awilix';
import { expect } from 'chai';
import type { AppContainer } from '../../../src/container';
import { PermissionDeniedError } from '../../../src/shared/errors';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

/**
 * Rules no HTTP caller can reach today (only super_admin holds manage_admins) but the services
 * keep anyway, so a change of the permission matrix cannot open them up.
 */
describe('admins: service rules beneath the permission matrix', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  function scopeFor(adminId: string): AppContainer {
    const scope = t.container.createScope();
    scope.register({ requestContext: asValue({ requestId: 'req-rules-0001', ip: '127.0.0.1', userAgent: undefined, adminId }) });
    return scope;
  }

  it('when a caller below super_admin invites a super_admin, then it is refused and no invite exists', async () => {
    const caller = await createAdmin(t.container, { role: 'admin' });
    const { inviteService } = scopeFor(caller.id).cradle;
    let refused: unknown;
    await inviteService.invite({ adminId: caller.id, role: 'admin' }, { role: 'super_admin', expires_in_hours: 1 }).catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(PermissionDeniedError);
    expect(await t.container.cradle.db('admin_invites')).to.have.length(0);
  });

  it('when a caller below super_admin changes a super_admin or promotes someone above themselves, then it is refused', async () => {
    const caller = await createAdmin(t.container, { role: 'admin' });
    const boss = await createAdmin(t.container, { role: 'super_admin' });
    const viewer = await createAdmin(t.container, { role: 'viewer' });
    const { adminService } = scopeFor(caller.id).cradle;
    const as = { adminId: caller.id, role: 'admin' as const };
    for (const attempt of [
      () => adminService.update(as, boss.id, { email: 'x@example.test' }),
      () => adminService.update(as, viewer.id, { role: 'super_admin' }),
      () => adminService.delete(as, boss.id),
      () => adminService.revokeSessions(as, boss.id),
    ]) {
      let refused: unknown;
      await attempt().catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(PermissionDeniedError);
    }
    expect(await t.container.cradle.db('admin_users').where({ id: viewer.id }).first()).to.include({ role: 'viewer' });
    expect(await t.container.cradle.db('audit_logs')).to.have.length(0);
  });
});

import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { auditRowsOf, signedInAdmin } from './helpers';

/**
 * An invite is only as good as its issuer: it registers nobody once the issuer is gone, inactive
 * or no longer allowed to grant its role, and such changes revoke the issuer's pending invites.
 */
describe('admins: invites die with their issuer', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const register = (token: string, login = 'newcomer') =>
    t.http.post('/api/v1/auth/register').send({ invite_token: token, login, email: `${login}@example.test`, password: 'Sturdy-pass-42' });

  /** A super_admin that may be removed (another one stays), its invite, and the one who removes it. */
  async function issuerWithInvite(role = 'super_admin') {
    const root = await signedInAdmin(t);
    const issuer = await signedInAdmin(t);
    const created = await t.http.post('/api/v1/admins/invites').set(issuer.bearer).send({ role, expires_in_hours: 72 });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    return { root, issuer, token: created.body.invite_token as string, inviteId: created.body.id as string };
  }

  const inviteRow = (id: string) => t.container.cradle.db('admin_invites').where({ id }).first();

  it('when the issuer of a super_admin invite is deactivated and deleted, then the invite registers nobody (review finding 3)', async () => {
    const { root, issuer, token } = await issuerWithInvite();
    expect((await t.http.patch(`/api/v1/admins/${issuer.id}`).set(root.bearer).send({ is_active: false })).status).to.equal(200);
    expect((await t.http.delete(`/api/v1/admins/${issuer.id}`).set(root.bearer)).status).to.equal(204);
    const res = await register(token, 'backdoor');
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect(await t.container.cradle.db('admin_users').where({ login: 'backdoor' }).first()).to.equal(undefined);
  });

  for (const [change, body, reason] of [
    ['deactivated', { is_active: false }, 'issuer_deactivated'],
    ['demoted', { role: 'admin' }, 'issuer_demoted'],
  ] as const) {
    it(`when the issuer is ${change}, then its pending invites are revoked, audited, and refused like unknown ones`, async () => {
      const { root, issuer, token, inviteId } = await issuerWithInvite('operator');
      const changed = await t.http.patch(`/api/v1/admins/${issuer.id}`).set(root.bearer).send(body);
      expect(changed.status).to.equal(200);

      const row = await inviteRow(inviteId);
      expect(row.revoked_at).to.be.instanceOf(Date);
      expect(row.revoked_by).to.equal(root.id);
      const audit = await auditRowsOf(t, changed.headers['x-request-id'] as string);
      const revoked = audit.filter((entry) => entry.action === 'admin_invite.revoked');
      expect(revoked).to.have.length(1);
      expect(revoked[0]).to.include({ admin_id: root.id, entity_type: 'admin_invite', entity_id: inviteId });
      expect(revoked[0]?.new_value).to.deep.include({ reason });
      expect(JSON.stringify(revoked)).to.not.include(token);

      const res = await register(token);
      expect(res.status).to.equal(401);
      expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
    });
  }

  it('when the issuer is deleted, then its pending invites are revoked and audited in the same change', async () => {
    const { root, issuer, token, inviteId } = await issuerWithInvite('viewer');
    const deleted = await t.http.delete(`/api/v1/admins/${issuer.id}`).set(root.bearer);
    expect(deleted.status).to.equal(204);
    expect((await inviteRow(inviteId)).revoked_at).to.be.instanceOf(Date);
    const actions = (await auditRowsOf(t, deleted.headers['x-request-id'] as string)).map((entry) => entry.action);
    expect(actions).to.have.members(['admin_invite.revoked', 'admin.deleted']);
    expect((await register(token)).status).to.equal(401);
  });

  it('when a deactivated issuer is reactivated, then its revoked invites stay revoked (revocation is final) and new invites work', async () => {
    const { root, issuer, token, inviteId } = await issuerWithInvite('viewer');
    expect((await t.http.patch(`/api/v1/admins/${issuer.id}`).set(root.bearer).send({ is_active: false })).status).to.equal(200);
    const revokedAt = (await inviteRow(inviteId)).revoked_at as Date;
    const back = await t.http.patch(`/api/v1/admins/${issuer.id}`).set(root.bearer).send({ is_active: true });
    expect(back.status).to.equal(200);
    expect((await auditRowsOf(t, back.headers['x-request-id'] as string)).map((entry) => entry.action)).to.deep.equal(['admin.updated']);
    expect((await inviteRow(inviteId)).revoked_at).to.deep.equal(revokedAt);
    expect((await register(token)).status).to.equal(401);
    const fresh = await t.http.post('/api/v1/admin/invites').set(root.bearer).send({ role: 'viewer' });
    expect((await register(fresh.body.invite_token as string, 'second')).status).to.equal(201);
  });

  it('when the issuer only changes email, then its invites stay usable', async () => {
    const { root, issuer, token, inviteId } = await issuerWithInvite('viewer');
    expect((await t.http.patch(`/api/v1/admins/${issuer.id}`).set(root.bearer).send({ email: 'moved@example.test' })).status).to.equal(200);
    expect((await inviteRow(inviteId)).revoked_at).to.equal(null);
    expect((await register(token)).status).to.equal(201);
  });

  it('when the issuer row changed without the service (no revocation ran), then registration still checks the issuer', async () => {
    // The join at registration is the rule; revocation on change is the tidy-up. Each holds alone.
    for (const change of [{ is_active: false }, { role: 'admin' }]) {
      await t.reset();
      const { issuer, token } = await issuerWithInvite('viewer');
      await t.container.cradle.db('admin_users').where({ id: issuer.id }).update(change);
      const res = await register(token);
      expect(res.status, JSON.stringify(change)).to.equal(401);
      expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
    }
    await t.reset();
    const { issuer, token } = await issuerWithInvite('viewer');
    await t.container.cradle.db('admin_invites').update({ created_by: null });
    expect((await register(token)).status).to.equal(401);
    expect(await t.container.cradle.db('admin_users').where({ id: issuer.id }).first()).to.include({ is_active: true });
  });

  it('when a super_admin invite asks for more than 72 hours, then 422 on expires_in_hours; other roles may have 720', async () => {
    const boss = await signedInAdmin(t);
    const tooLong = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'super_admin', expires_in_hours: 73 });
    expect(tooLong.status).to.equal(422);
    expect(tooLong.body.detail[0].loc).to.deep.equal(['body', 'expires_in_hours']);
    expect(tooLong.body.detail[0].msg).to.match(/72/);
    expect((await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'super_admin', expires_in_hours: 72 })).status).to.equal(201);
    expect((await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'admin', expires_in_hours: 720 })).status).to.equal(201);
    const frontend = await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'super_admin', expires_in_hours: 73 });
    expect(frontend.status).to.equal(422);
  });
});

import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { AdminRecord } from '../../../src/modules/admins/admins.repository';
import type { Role } from '../../../src/shared/permissions';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { signIn } from '../../support/auth-helpers';
import { auditRowsOf, expectNoSecrets, signedInAdmin } from './helpers';

describe('admins: management', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const adminRow = (id: string) => t.container.cradle.db<AdminRecord>('admin_users').where({ id }).first();

  it('when a role without manage_admins calls any /admins route, then 403 Insufficient permissions', async () => {
    const target = await createAdmin(t.container, { role: 'viewer' });
    type Bearer = { Authorization: string };
    const calls: Array<[string, (h: Bearer) => ReturnType<TestApp['http']['get']>]> = [
      ['GET /admins', (h) => t.http.get('/api/v1/admins').set(h)],
      ['GET /admins/:id', (h) => t.http.get(`/api/v1/admins/${target.id}`).set(h)],
      ['PATCH /admins/:id', (h) => t.http.patch(`/api/v1/admins/${target.id}`).set(h).send({ is_active: false })],
      ['DELETE /admins/:id', (h) => t.http.delete(`/api/v1/admins/${target.id}`).set(h)],
      ['POST /admins/:id/revoke-sessions', (h) => t.http.post(`/api/v1/admins/${target.id}/revoke-sessions`).set(h)],
      ['POST /admins/invites', (h) => t.http.post('/api/v1/admins/invites').set(h).send({ role: 'viewer' })],
    ];
    for (const role of ['admin', 'operator', 'support', 'viewer'] as Role[]) {
      const caller = await signedInAdmin(t, role);
      for (const [route, call] of calls) {
        const res = await call(caller.bearer);
        expect(res.status, `${role} ${route}`).to.equal(403);
        expect(res.body).to.deep.equal({ detail: 'Insufficient permissions' });
      }
    }
    expect(await adminRow(target.id)).to.include({ is_active: true });
  });

  it('when a super_admin lists and reads admins, then pages carry the true total and no secret field', async () => {
    const boss = await signedInAdmin(t);
    for (let i = 0; i < 4; i += 1) await createAdmin(t.container, { role: 'viewer' });
    const page = await t.http.get('/api/v1/admins?page=2&page_size=2').set(boss.bearer);
    expect(page.status).to.equal(200);
    expect(page.body).to.include({ total: 5, page: 2, page_size: 2 });
    expect(page.body.items).to.have.length(2);
    expect(JSON.stringify(page.body)).to.not.match(/password|totp_secret|backup_code/);

    const one = await t.http.get(`/api/v1/admins/${boss.id}`).set(boss.bearer);
    expect(one.status).to.equal(200);
    expect(one.body).to.have.keys('id', 'login', 'email', 'role', 'telegram_id', 'is_active', 'totp_enabled', 'created_at', 'last_login_at');
    const missing = await t.http.get(`/api/v1/admins/${randomUUID()}`).set(boss.bearer);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'Admin not found' });
    expect((await t.http.get('/api/v1/admins/not-a-uuid').set(boss.bearer)).status).to.equal(422);
  });

  it('when a super_admin changes role, email and telegram id, then the change is saved and audited with old and new views', async () => {
    const boss = await signedInAdmin(t);
    const target = await createAdmin(t.container, { role: 'viewer' });
    const res = await t.http
      .patch(`/api/v1/admins/${target.id}`)
      .set(boss.bearer)
      .send({ role: 'operator', email: 'renamed@example.test', telegram_id: 123456789 });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ role: 'operator', email: 'renamed@example.test', telegram_id: 123456789 });

    const rows = await auditRowsOf(t, res.headers['x-request-id'] as string);
    expect(rows.map((row) => row.action)).to.deep.equal(['admin.updated']);
    expect(rows[0]).to.include({ admin_id: boss.id, entity_type: 'admin', entity_id: target.id, request_id: res.headers['x-request-id'] });
    expect(rows[0]?.old_value).to.include({ role: 'viewer', email: target.email });
    expect(rows[0]?.new_value).to.include({ role: 'operator', email: 'renamed@example.test', telegram_id: 123456789 });
    expectNoSecrets(rows);

    const other = await createAdmin(t.container);
    const clash = await t.http.patch(`/api/v1/admins/${other.id}`).set(boss.bearer).send({ email: 'RENAMED@example.test' });
    expect(clash.status).to.equal(409);
    expect(clash.body).to.deep.equal({ detail: 'Email already exists' });
    expect((await t.http.patch(`/api/v1/admins/${other.id}`).set(boss.bearer).send({})).status).to.equal(422);
  });

  it('when an admin is deactivated, then its live access token is refused at once and its login fails', async () => {
    const boss = await signedInAdmin(t);
    const target = await signedInAdmin(t, 'operator');
    expect((await t.http.get('/api/v1/auth/me').set(target.bearer)).status).to.equal(200);

    const res = await t.http.patch(`/api/v1/admins/${target.id}`).set(boss.bearer).send({ is_active: false });
    expect(res.status).to.equal(200);
    expect(res.body.is_active).to.equal(false);

    const refused = await t.http.get('/api/v1/auth/me').set(target.bearer);
    expect(refused.status).to.equal(401);
    expect(refused.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect((await t.http.post('/api/v1/auth/refresh').send({ refresh_token: target.refresh_token })).status).to.equal(401);
    const login = await t.http.post('/api/v1/auth/login').send({ login_or_email: target.login, password: target.password });
    expect(login.status).to.equal(401);
    expect(login.body).to.deep.equal({ detail: 'Invalid credentials' });

    const actions = (await auditRowsOf(t, res.headers['x-request-id'] as string)).map((row) => row.action);
    expect(actions).to.deep.equal(['admin.updated', 'session.revoke_all']);
    const live = await t.container.cradle.db('refresh_tokens').where({ admin_id: target.id }).whereNull('revoked_at');
    expect(live).to.have.length(0);
  });

  it('when a super_admin revokes an admin’s sessions, then its tokens are refused at once but it may log in again', async () => {
    const boss = await signedInAdmin(t);
    const target = await signedInAdmin(t, 'admin');
    const res = await t.http.post(`/api/v1/admins/${target.id}/revoke-sessions`).set(boss.bearer);
    expect(res.status).to.equal(204);
    expect((await t.http.get('/api/v1/auth/me').set(target.bearer)).status).to.equal(401);
    expect((await t.http.post('/api/v1/auth/refresh').send({ refresh_token: target.refresh_token })).status).to.equal(401);
    expect((await t.http.get('/api/v1/auth/me').set(boss.bearer)).status).to.equal(200);
    await signIn(t, target.login, target.password);

    const rows = await auditRowsOf(t, res.headers['x-request-id'] as string);
    expect(rows.map((row) => [row.action, row.admin_id, row.entity_id])).to.deep.equal([['session.revoke_all', boss.id, target.id]]);
    expect((await t.http.post(`/api/v1/admins/${randomUUID()}/revoke-sessions`).set(boss.bearer)).status).to.equal(404);
  });

  it('when an admin is deleted, then its token is refused at once, the row is gone and the deletion is audited', async () => {
    const boss = await signedInAdmin(t);
    const target = await signedInAdmin(t, 'support');
    const res = await t.http.delete(`/api/v1/admins/${target.id}`).set(boss.bearer);
    expect(res.status).to.equal(204);
    expect((await t.http.get('/api/v1/auth/me').set(target.bearer)).status).to.equal(401);
    expect(await adminRow(target.id)).to.be.undefined;
    const rows = await auditRowsOf(t, res.headers['x-request-id'] as string);
    expect(rows.map((row) => row.action)).to.deep.equal(['admin.deleted']);
    expect(rows[0]?.old_value).to.include({ id: target.id, login: target.login, role: 'support' });
    expectNoSecrets(rows);
    expect((await t.http.delete(`/api/v1/admins/${target.id}`).set(boss.bearer)).status).to.equal(404);
  });

  it('when the last active super_admin would be demoted, deactivated or deleted, then 409 and nothing changes', async () => {
    const boss = await signedInAdmin(t);
    // An inactive super_admin does not count.
    await createAdmin(t.container, { role: 'super_admin', is_active: false });
    const detail = 'The last active super_admin cannot be demoted, deactivated or deleted';
    for (const res of [
      await t.http.patch(`/api/v1/admins/${boss.id}`).set(boss.bearer).send({ role: 'admin' }),
      await t.http.patch(`/api/v1/admins/${boss.id}`).set(boss.bearer).send({ is_active: false }),
      await t.http.delete(`/api/v1/admins/${boss.id}`).set(boss.bearer),
    ]) {
      expect(res.status).to.equal(409);
      expect(res.body).to.deep.equal({ detail });
    }
    expect(await adminRow(boss.id)).to.include({ role: 'super_admin', is_active: true });
    expect(await t.container.cradle.db('audit_logs').whereIn('action', ['admin.updated', 'admin.deleted'])).to.have.length(0);
    // A change that keeps the role is fine.
    expect((await t.http.patch(`/api/v1/admins/${boss.id}`).set(boss.bearer).send({ role: 'super_admin', telegram_id: 42 })).status).to.equal(200);
  });

  it('when two super_admins demote each other at once, then one wins and one active super_admin remains', async () => {
    const first = await signedInAdmin(t);
    const second = await signedInAdmin(t);
    const results = await Promise.all([
      t.http.patch(`/api/v1/admins/${second.id}`).set(first.bearer).send({ role: 'admin' }),
      t.http.patch(`/api/v1/admins/${first.id}`).set(second.bearer).send({ role: 'admin' }),
    ]);
    expect(results.map((res) => res.status).sort()).to.deep.equal([200, 409]);
    expect(await t.container.cradle.db('admin_users').where({ role: 'super_admin', is_active: true })).to.have.length(1);
  });

  it('when a super_admin deactivates or deletes their own account while another remains, then 409; demoting themselves is allowed', async () => {
    const boss = await signedInAdmin(t);
    await createAdmin(t.container, { role: 'super_admin' });
    const detail = 'An admin cannot deactivate or delete their own account';
    const deactivate = await t.http.patch(`/api/v1/admins/${boss.id}`).set(boss.bearer).send({ is_active: false });
    expect(deactivate.status).to.equal(409);
    expect(deactivate.body).to.deep.equal({ detail });
    const remove = await t.http.delete(`/api/v1/admins/${boss.id}`).set(boss.bearer);
    expect(remove.status).to.equal(409);
    expect(remove.body).to.deep.equal({ detail });

    const demote = await t.http.patch(`/api/v1/admins/${boss.id}`).set(boss.bearer).send({ role: 'admin' });
    expect(demote.status).to.equal(200);
    // The new role applies on the very next request.
    expect((await t.http.get('/api/v1/admins').set(boss.bearer)).status).to.equal(403);
  });

  it('when another super_admin is deactivated while one remains, then it is allowed', async () => {
    const boss = await signedInAdmin(t);
    const peer = await createAdmin(t.container, { role: 'super_admin' });
    expect((await t.http.patch(`/api/v1/admins/${peer.id}`).set(boss.bearer).send({ is_active: false })).status).to.equal(200);
    expect((await t.http.delete(`/api/v1/admins/${peer.id}`).set(boss.bearer)).status).to.equal(204);
  });
});

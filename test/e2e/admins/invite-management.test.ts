import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { auditRowsOf, signedInAdmin } from './helpers';

const HOUR_MS = 3_600_000;

/** Listing and revoking invites, at the frontend's paths (/admin/invites) and beside /admins/invites. */
describe('admins: listing and revoking invites', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const register = (token: string, overrides: Record<string, unknown> = {}) =>
    t.http.post('/api/v1/auth/register').send({ invite_token: token, login: 'newcomer', email: 'newcomer@example.test', password: 'Sturdy-pass-42', ...overrides });

  it('when the frontend posts {role, email_hint}, then the invite is bound to that email with the default 72 h lifetime', async () => {
    const boss = await signedInAdmin(t);
    const created = await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'support', email_hint: 'Hinted@Example.test' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body).to.have.keys('id', 'invite_token', 'expires_at');
    expect(new Date(created.body.expires_at).getTime() - Date.now()).to.be.within(71.9 * HOUR_MS, 72 * HOUR_MS);
    const rows = await auditRowsOf(t, created.headers['x-request-id'] as string);
    expect(rows.map((row) => row.action)).to.deep.equal(['admin_invite.created']);

    const wrong = await register(created.body.invite_token, { email: 'other@example.test' });
    expect(wrong.status).to.equal(422);
    expect(wrong.body.detail[0]).to.include({ type: 'invite.email' });
    const right = await register(created.body.invite_token, { email: 'hinted@example.test' });
    expect(right.status).to.equal(201);
    expect(right.body).to.include({ role: 'support' });
  });

  it('when the frontend posts bad invite bodies, then 422 naming its own field names', async () => {
    const boss = await signedInAdmin(t);
    const badEmail = await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer', email_hint: 'not-an-email' });
    expect(badEmail.status).to.equal(422);
    expect(badEmail.body.detail[0].loc).to.deep.equal(['body', 'email_hint']);
    expect((await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'root' })).status).to.equal(422);
    expect((await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer', email: 'a@example.test' })).status).to.equal(422);
    expect((await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer', email_hint: null })).status).to.equal(201);
  });

  for (const base of ['/api/v1/admin/invites', '/api/v1/admins/invites']) {
    it(`when ${base} is listed, then pending invites come with issuer, role, email hint and times, never the token or its hash`, async () => {
      const boss = await signedInAdmin(t);
      const pending = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'operator', email: 'op@example.test' });
      const used = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'viewer' });
      const revoked = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'viewer' });
      const expired = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'viewer' });
      expect((await register(used.body.invite_token)).status).to.equal(201);
      expect((await t.http.delete(`${base}/${revoked.body.id}`).set(boss.bearer)).status).to.equal(204);
      await t.container.cradle.db('admin_invites').where({ id: expired.body.id }).update({ expires_at: new Date(Date.now() - 1000) });

      const listed = await t.http.get(base).set(boss.bearer);
      expect(listed.status).to.equal(200);
      expect(listed.body).to.include({ total: 1, page: 1, page_size: 20 });
      expect(listed.body.items).to.have.length(1);
      const [item] = listed.body.items;
      expect(item).to.include({ id: pending.body.id, role: 'operator', email_hint: 'op@example.test', status: 'pending' });
      expect(item.issuer).to.deep.equal({ id: boss.id, login: boss.login });
      expect(new Date(item.expires_at).toISOString()).to.equal(new Date(pending.body.expires_at).toISOString());
      expect(item.created_at).to.be.a('string');
      const text = JSON.stringify(listed.body);
      expect(text).to.not.include(pending.body.invite_token);
      expect(text).to.not.include('token_hash');
      const hash = (await t.container.cradle.db('admin_invites').where({ id: pending.body.id }).first()).token_hash as string;
      expect(text).to.not.include(hash);

      const all = await t.http.get(`${base}?status=all&page_size=2`).set(boss.bearer);
      expect(all.body).to.include({ total: 4, page_size: 2 });
      expect(all.body.items).to.have.length(2);
      const statuses = (await t.http.get(`${base}?status=all`).set(boss.bearer)).body.items.map((i: { status: string }) => i.status);
      expect(statuses).to.have.members(['pending', 'used', 'revoked', 'expired']);
      expect((await t.http.get(`${base}?status=revoked`).set(boss.bearer)).body.items.map((i: { id: string }) => i.id)).to.deep.equal([revoked.body.id]);
      expect((await t.http.get(`${base}?status=sideways`).set(boss.bearer)).status).to.equal(422);
    });
  }

  it('when an invite is revoked by its listed id, then 204, audited, and it registers nobody', async () => {
    const boss = await signedInAdmin(t);
    const created = await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer' });
    const revoked = await t.http.delete(`/api/v1/admin/invites/${created.body.id}`).set(boss.bearer);
    expect(revoked.status).to.equal(204);
    const rows = await auditRowsOf(t, revoked.headers['x-request-id'] as string);
    expect(rows.map((row) => row.action)).to.deep.equal(['admin_invite.revoked']);
    expect(rows[0]).to.include({ admin_id: boss.id, entity_type: 'admin_invite', entity_id: created.body.id });
    expect(rows[0]?.new_value).to.deep.include({ reason: 'revoked_by_admin' });
    expect(await t.container.cradle.db('admin_invites').where({ id: created.body.id }).first()).to.include({ revoked_by: boss.id });
    const res = await register(created.body.invite_token);
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
    // Revoking again changes nothing and says so the same way: the invite is dead either way.
    const again = await t.http.delete(`/api/v1/admin/invites/${created.body.id}`).set(boss.bearer);
    expect(again.status).to.equal(204);
    expect(await auditRowsOf(t, again.headers['x-request-id'] as string)).to.have.length(0);
  });

  it('when an invite is revoked by its raw token (as the frontend sends it), then it is found by its hash', async () => {
    const boss = await signedInAdmin(t);
    const created = await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer' });
    expect((await t.http.delete(`/api/v1/admin/invites/${encodeURIComponent(created.body.invite_token)}`).set(boss.bearer)).status).to.equal(204);
    expect((await register(created.body.invite_token)).status).to.equal(401);
  });

  it('when the id or token names no invite, then 404 "Invite not found"', async () => {
    const boss = await signedInAdmin(t);
    await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer' });
    for (const unknown of ['00000000-0000-4000-8000-000000000000', 'no-such-token']) {
      const res = await t.http.delete(`/api/v1/admin/invites/${unknown}`).set(boss.bearer);
      expect(res.status, unknown).to.equal(404);
      expect(res.body).to.deep.equal({ detail: 'Invite not found' });
    }
    // Longer than any token we issue: refused before any lookup.
    expect((await t.http.delete(`/api/v1/admin/invites/${'x'.repeat(600)}`).set(boss.bearer)).status).to.equal(422);
    expect(await t.container.cradle.db('admin_invites').whereNotNull('revoked_at')).to.have.length(0);
  });

  it('when an admin without manage_admins lists, creates or revokes invites, then 403; without a token, 401', async () => {
    const boss = await signedInAdmin(t);
    const created = await t.http.post('/api/v1/admin/invites').set(boss.bearer).send({ role: 'viewer' });
    const admin = await signedInAdmin(t, 'admin');
    expect((await t.http.get('/api/v1/admin/invites').set(admin.bearer)).status).to.equal(403);
    expect((await t.http.post('/api/v1/admin/invites').set(admin.bearer).send({ role: 'viewer' })).status).to.equal(403);
    expect((await t.http.delete(`/api/v1/admin/invites/${created.body.id}`).set(admin.bearer)).status).to.equal(403);
    expect((await t.http.get('/api/v1/admin/invites')).status).to.equal(401);
  });

  it('when the issuer was deleted, then the listing shows issuer null for its old invites', async () => {
    const boss = await signedInAdmin(t);
    const other = await createAdmin(t.container, { role: 'super_admin' });
    await t.container.cradle.db('admin_invites').insert({
      token_hash: 'a'.repeat(64),
      role: 'viewer',
      created_by: other.id,
      expires_at: new Date(Date.now() + HOUR_MS),
    });
    await t.container.cradle.db('admin_users').where({ id: other.id }).delete();
    const listed = await t.http.get('/api/v1/admin/invites?status=all').set(boss.bearer);
    expect(listed.body.items[0]).to.include({ issuer: null });
  });
});

import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { auditRowsOf, expectNoSecrets, signedInAdmin } from './helpers';

describe('admins: invite and registration', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  async function invite(body: Record<string, unknown>): Promise<string> {
    const boss = await signedInAdmin(t);
    const res = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send(body);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.invite_token as string;
  }

  const register = (body: Record<string, unknown>) =>
    t.http.post('/api/v1/auth/register').send({ login: 'newcomer', email: 'newcomer@example.test', password: 'Sturdy-pass-42', ...body });

  const adminCount = async () => Number((await t.container.cradle.db('admin_users').count({ n: '*' }))[0]?.n);

  it('when a super_admin invites and the invitee registers, then the invitee logs in with the invited role and opens a protected route', async () => {
    const boss = await signedInAdmin(t);
    const created = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'operator', email: 'Newcomer@Example.test' });
    expect(created.status).to.equal(201);
    expect(created.body).to.have.keys('id', 'invite_token', 'expires_at');
    const expiresIn = new Date(created.body.expires_at).getTime() - Date.now();
    expect(expiresIn).to.be.within(71.9 * 3_600_000, 72 * 3_600_000);

    const stored = await t.container.cradle.db('admin_invites').first();
    expect(stored.token_hash).to.match(/^[0-9a-f]{64}$/).and.not.equal(created.body.invite_token);
    expect(JSON.stringify(stored)).to.not.include(created.body.invite_token);

    const registered = await register({ invite_token: created.body.invite_token });
    expect(registered.status, JSON.stringify(registered.body)).to.equal(201);
    expect(registered.body).to.include({ login: 'newcomer', email: 'newcomer@example.test', role: 'operator', is_active: true });
    expect(registered.body).to.not.have.property('password_hash');

    const login = await t.http.post('/api/v1/auth/login').send({ login_or_email: 'newcomer', password: 'Sturdy-pass-42' });
    expect(login.status).to.equal(200);
    const bearer = { Authorization: `Bearer ${login.body.access_token}` };
    expect((await t.http.get('/api/v1/auth/me').set(bearer)).body).to.include({ login: 'newcomer', role: 'operator' });
    // operator's permissions, not more.
    expect((await t.http.get('/api/v1/admins').set(bearer)).status).to.equal(403);

    const rows = await auditRowsOf(t, registered.headers['x-request-id'] as string);
    expect(rows.map((row) => row.action)).to.deep.equal(['admin.registered']);
    expect(rows[0]).to.include({ admin_id: registered.body.id, entity_type: 'admin', entity_id: registered.body.id });
    expectNoSecrets(rows);
    const inviteRows = await auditRowsOf(t, created.headers['x-request-id'] as string);
    expect(inviteRows.map((row) => row.action)).to.deep.equal(['admin_invite.created']);
    expect(inviteRows[0]?.admin_id).to.equal(boss.id);
    expect(JSON.stringify(inviteRows)).to.not.include(created.body.invite_token);
    expect(await t.container.cradle.db('admin_invites').first()).to.include({ used_by: registered.body.id });
  });

  it('when an invite is used a second time, then the registration is refused with 401 and no account is created', async () => {
    const token = await invite({ role: 'viewer' });
    expect((await register({ invite_token: token })).status).to.equal(201);
    const again = await register({ invite_token: token, login: 'second', email: 'second@example.test' });
    expect(again.status).to.equal(401);
    expect(again.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect(await t.container.cradle.db('admin_users').where({ login: 'second' }).first()).to.be.undefined;
  });

  it('when two registrations race for one invite, then exactly one succeeds', async () => {
    const token = await invite({ role: 'viewer' });
    const results = await Promise.all([
      register({ invite_token: token, login: 'racer_a', email: 'a@example.test' }),
      register({ invite_token: token, login: 'racer_b', email: 'b@example.test' }),
    ]);
    expect(results.map((res) => res.status).sort()).to.deep.equal([201, 401]);
    expect(await t.container.cradle.db('admin_users').whereIn('login', ['racer_a', 'racer_b'])).to.have.length(1);
  });

  it('when the invite has expired or never existed, then the registration is refused with 401', async () => {
    const token = await invite({ role: 'viewer', expires_in_hours: 1 });
    await t.container.cradle.db('admin_invites').update({ expires_at: new Date(Date.now() - 1000) });
    const expired = await register({ invite_token: token });
    expect(expired.status).to.equal(401);
    expect(expired.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect((await register({ invite_token: 'not-an-invite' })).status).to.equal(401);
  });

  it('when the invite names an email and another is used, then 422 on body.email and the invite stays usable', async () => {
    const token = await invite({ role: 'support', email: 'invited@example.test' });
    const wrong = await register({ invite_token: token, email: 'someone-else@example.test' });
    expect(wrong.status).to.equal(422);
    expect(wrong.body.detail[0]).to.include({ type: 'invite.email' });
    expect(wrong.body.detail[0].loc).to.deep.equal(['body', 'email']);
    expect(JSON.stringify(wrong.body)).to.not.include('invited@example.test');
    expect((await register({ invite_token: token, email: 'INVITED@example.test' })).status).to.equal(201);
  });

  it('when the password is 73 bytes, then 422 and nothing is created or spent', async () => {
    const token = await invite({ role: 'viewer' });
    const before = await adminCount();
    const long = await register({ invite_token: token, password: `a1${'é'.repeat(35)}x` });
    expect(long.status).to.equal(422);
    expect(long.body.detail[0].loc).to.deep.equal(['body', 'password']);
    expect(JSON.stringify(long.body)).to.not.include('éé');
    expect(await adminCount()).to.equal(before);
    expect(await t.container.cradle.db('admin_invites').whereNotNull('used_at')).to.have.length(0);
  });

  it('when the password is weak or the login malformed, then 422', async () => {
    const token = await invite({ role: 'viewer' });
    expect((await register({ invite_token: token, password: 'lettersonly' })).status).to.equal(422);
    expect((await register({ invite_token: token, login: 'no spaces!' })).status).to.equal(422);
  });

  it('when the login or email already exists, then 409 with which one, and the invite stays usable (within its attempts)', async () => {
    await createAdmin(t.container, { login: 'Taken', email: 'taken@example.test' });
    const token = await invite({ role: 'viewer' });
    const login = await register({ invite_token: token, login: 'taken' });
    expect(login.status).to.equal(409);
    expect(login.body).to.deep.equal({ detail: 'Login already exists' });
    const email = await register({ invite_token: token, email: 'TAKEN@example.test' });
    expect(email.status).to.equal(409);
    expect(email.body).to.deep.equal({ detail: 'Email already exists' });
    expect((await register({ invite_token: token })).status).to.equal(201);
  });

  it('when an invite asks for an out-of-range lifetime or an unknown role, then 422', async () => {
    const boss = await signedInAdmin(t);
    for (const body of [{ role: 'viewer', expires_in_hours: 0 }, { role: 'viewer', expires_in_hours: 721 }, { role: 'root' }, {}]) {
      expect((await t.http.post('/api/v1/admins/invites').set(boss.bearer).send(body)).status, JSON.stringify(body)).to.equal(422);
    }
    const longest = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send({ role: 'admin', expires_in_hours: 720 });
    expect(longest.status).to.equal(201);
  });

  it('when nobody is signed in, then creating an invite is refused with 401', async () => {
    expect((await t.http.post('/api/v1/admins/invites').send({ role: 'viewer' })).status).to.equal(401);
  });
});

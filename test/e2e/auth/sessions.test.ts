import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { signIn } from '../../support/auth-helpers';

describe('auth: tokens and sessions over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  it('when an admin logs in, uses the API, refreshes and logs out, then the spent refresh token is refused', async () => {
    const admin = await createAdmin(t.container, { role: 'operator' });
    const session = await signIn(t, admin.login, admin.password);

    const me = await t.http.get('/api/v1/auth/me').set(session.bearer);
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ id: admin.id, login: admin.login, role: 'operator', is_active: true, totp_enabled: false });
    expect(me.body).to.not.have.property('password_hash');

    const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: session.refresh_token });
    expect(refreshed.status).to.equal(200);
    expect(refreshed.body).to.have.keys('access_token', 'refresh_token', 'token_type', 'expires_in');
    expect(refreshed.body.refresh_token).to.not.equal(session.refresh_token);

    const logout = await t.http.post('/api/v1/auth/logout').send({ refresh_token: refreshed.body.refresh_token });
    expect(logout.status).to.equal(204);

    const afterLogout = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: refreshed.body.refresh_token });
    expect(afterLogout.status).to.equal(401);
    expect(afterLogout.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect(afterLogout.headers['www-authenticate']).to.equal('Bearer');
    // The access token of the ended session is refused at once, not when it expires.
    expect((await t.http.get('/api/v1/auth/me').set({ Authorization: `Bearer ${refreshed.body.access_token}` })).status).to.equal(401);
  });

  it('when a spent refresh token is presented again, then the whole family is revoked and its newest tokens stop working', async () => {
    const admin = await createAdmin(t.container);
    const first = await signIn(t, admin.login, admin.password);
    const second = (await t.http.post('/api/v1/auth/refresh').send({ refresh_token: first.refresh_token })).body;

    const replay = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: first.refresh_token });
    expect(replay.status).to.equal(401);

    expect((await t.http.post('/api/v1/auth/refresh').send({ refresh_token: second.refresh_token })).status).to.equal(401);
    expect((await t.http.get('/api/v1/auth/me').set({ Authorization: `Bearer ${second.access_token}` })).status).to.equal(401);
    const audit = await t.container.cradle.db('audit_logs').where({ action: 'session.reuse_detected', admin_id: admin.id });
    expect(audit).to.have.length(1);
  });

  it('when two sessions exist and one is ended through DELETE /auth/sessions/:id, then only that one stops working', async () => {
    const admin = await createAdmin(t.container);
    const laptop = await signIn(t, admin.login, admin.password);
    const phone = await signIn(t, admin.login, admin.password);

    const list = await t.http.get('/api/v1/auth/sessions').set(laptop.bearer);
    expect(list.status).to.equal(200);
    expect(list.body).to.have.length(2);
    const current = list.body.filter((s: { current: boolean }) => s.current);
    expect(current).to.have.length(1);
    const other = list.body.find((s: { current: boolean }) => !s.current) as { id: string };

    expect((await t.http.delete(`/api/v1/auth/sessions/${other.id}`).set(laptop.bearer)).status).to.equal(204);
    expect((await t.http.get('/api/v1/auth/me').set(phone.bearer)).status).to.equal(401);
    expect((await t.http.get('/api/v1/auth/me').set(laptop.bearer)).status).to.equal(200);
    expect((await t.http.delete(`/api/v1/auth/sessions/${other.id}`).set(laptop.bearer)).status).to.equal(404);
  });

  it("when an admin tries to end another admin's session, then it is not found and keeps working", async () => {
    const alice = await createAdmin(t.container);
    const bob = await createAdmin(t.container);
    const aliceSession = await signIn(t, alice.login, alice.password);
    const bobSession = await signIn(t, bob.login, bob.password);
    const [bobsOwn] = (await t.http.get('/api/v1/auth/sessions').set(bobSession.bearer)).body as { id: string }[];

    const attempt = await t.http.delete(`/api/v1/auth/sessions/${bobsOwn!.id}`).set(aliceSession.bearer);
    expect(attempt.status).to.equal(404);
    expect(attempt.body).to.deep.equal({ detail: 'Session not found' });
    expect((await t.http.get('/api/v1/auth/me').set(bobSession.bearer)).status).to.equal(200);
  });

  it('when logout-all is called, then every session of the caller ends at once', async () => {
    const admin = await createAdmin(t.container);
    const one = await signIn(t, admin.login, admin.password);
    const two = await signIn(t, admin.login, admin.password);
    expect((await t.http.post('/api/v1/auth/logout-all').set(one.bearer)).status).to.equal(204);
    expect((await t.http.get('/api/v1/auth/me').set(one.bearer)).status).to.equal(401);
    expect((await t.http.get('/api/v1/auth/me').set(two.bearer)).status).to.equal(401);
    expect((await t.http.post('/api/v1/auth/refresh').send({ refresh_token: two.refresh_token })).status).to.equal(401);
  });

  it('when the password is changed, then every other session ends and the current one goes on', async () => {
    const admin = await createAdmin(t.container);
    const here = await signIn(t, admin.login, admin.password);
    const elsewhere = await signIn(t, admin.login, admin.password);

    const wrong = await t.http.post('/api/v1/auth/change-password').set(here.bearer).send({ current_password: 'nope-1234', new_password: 'brand-new-pass-1' });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.deep.equal({ detail: 'Invalid credentials' });

    const tooLong = await t.http
      .post('/api/v1/auth/change-password')
      .set(here.bearer)
      .send({ current_password: admin.password, new_password: `a1${'é'.repeat(36)}` });
    expect(tooLong.status).to.equal(422);
    expect(JSON.stringify(tooLong.body)).to.not.include('é');

    const changed = await t.http.post('/api/v1/auth/change-password').set(here.bearer).send({ current_password: admin.password, new_password: 'brand-new-pass-1' });
    expect(changed.status).to.equal(204);
    expect((await t.http.get('/api/v1/auth/me').set(here.bearer)).status).to.equal(200);
    expect((await t.http.get('/api/v1/auth/me').set(elsewhere.bearer)).status).to.equal(401);
    expect((await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password })).status).to.equal(401);
    expect((await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: 'brand-new-pass-1' })).status).to.equal(200);
  });

  it('when an admin is deactivated in the database, then its live access token is refused on the next request', async () => {
    const admin = await createAdmin(t.container);
    const session = await signIn(t, admin.login, admin.password);
    await t.container.cradle.db('admin_users').where({ id: admin.id }).update({ is_active: false });
    expect((await t.http.get('/api/v1/auth/me').set(session.bearer)).status).to.equal(401);
    expect((await t.http.post('/api/v1/auth/refresh').send({ refresh_token: session.refresh_token })).status).to.equal(401);
  });

  it('when verify-token is asked about a live, an ended and a garbage token, then it answers valid only for the live one', async () => {
    const admin = await createAdmin(t.container, { role: 'viewer' });
    const live = await signIn(t, admin.login, admin.password);
    const ended = await signIn(t, admin.login, admin.password);
    await t.http.post('/api/v1/auth/logout').send({ refresh_token: ended.refresh_token });

    const ok = await t.http.post('/api/v1/auth/verify-token').send({ token: live.access_token });
    expect(ok.body).to.include({ valid: true, sub: admin.id, role: 'viewer' });
    expect(ok.body.exp).to.be.a('number');
    expect((await t.http.post('/api/v1/auth/verify-token').send({ token: ended.access_token })).body).to.deep.equal({ valid: false });
    expect((await t.http.post('/api/v1/auth/verify-token').send({ token: 'garbage' })).body).to.deep.equal({ valid: false });
  });
});

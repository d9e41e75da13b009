import { asValue } from 'awilix';
import { expect } from 'chai';
import { redisKey } from '../../../src/infrastructure/redis/redis';
import { sha256Hex } from '../../../src/shared/secrets';
import { reauthenticate } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { keepLoginState, withNonceOf } from './login-states';
import { createTestApp, type TestApp } from '../../support/test-app';
import vectors from '../../vectors/signatures.json';
import { nowSeconds, signWidget, type WidgetFields } from './telegram-widget';

const REFUSED = { detail: 'Invalid credentials' };

describe('oauth: Telegram login widget link and login', function () {
  this.timeout(30_000);
  let t: TestApp;
  let botToken: string;

  before(async () => {
    t = await createTestApp();
    botToken = t.container.cradle.config.telegram.botToken;
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  async function signedIn(overrides: Parameters<typeof createAdmin>[1] = {}) {
    const admin = await createAdmin(t.container, overrides);
    const res = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(res.status).to.equal(200);
    const auth = { Authorization: `Bearer ${res.body.access_token as string}` };
    // Linking and unlinking need a re-authenticated session; the tests that say otherwise skip this.
    await reauthenticate(t, auth, admin.password);
    return { admin, auth };
  }

  const widget = (overrides: WidgetFields = {}) =>
    signWidget({ id: 424242, first_name: 'Alice', username: 'alice_tg', auth_date: nowSeconds(), ...overrides }, botToken);
  /** A payload is spent by its first use, link or sign-in: links use their own (a minute or so older). */
  let linkSequence = 0;
  const linkWidget = (overrides: WidgetFields = {}) => widget({ auth_date: nowSeconds() - 60 - (linkSequence += 1), ...overrides });

  /** With credentials: a link state bound to that admin; without: a login state. */
  const authorize = async (auth: Record<string, string> = {}) => {
    const res = await t.http.get('/api/v1/oauth/telegram/authorize').set(auth);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return keepLoginState(res);
  };
  /** Links as the frontend does: a link state from authorize (as the same admin) unless the payload brings its own. */
  const linkWith = async (auth: Record<string, string>, payload: WidgetFields) =>
    t.http
      .post('/api/v1/oauth/telegram/callback')
      .set(auth)
      .send({ state: await authorize(auth), ...payload });
  const linkWithoutState = (auth: Record<string, string>, payload: WidgetFields) => t.http.post('/api/v1/oauth/telegram/callback').set(auth).send(payload);
  /** Signs in as the frontend does: a login state of this browser (with its nonce cookie) unless the payload brings its own. */
  const loginWith = async (payload: WidgetFields) => {
    const body = 'state' in payload ? payload : { ...payload, state: await authorize() };
    return t.http.post('/api/v1/auth/oauth/telegram/login').set(withNonceOf(body.state)).send(body);
  };
  const auditReasons = async (action: string) =>
    (await t.container.cradle.db('audit_logs').where({ action })).map((entry: { new_value: { reason: string } }) => entry.new_value.reason);

  it('when authorize is called, then it answers the Telegram login URL for this bot and a state', async () => {
    const res = await t.http.get('/api/v1/oauth/telegram/authorize');
    expect(res.status).to.equal(200);
    const url = new URL(res.body.authorize_url as string);
    expect(url.origin).to.equal('https://oauth.telegram.org');
    expect(url.searchParams.get('bot_id')).to.equal(botToken.split(':')[0]);
    expect(url.searchParams.get('origin')).to.equal('http://admin.test');
    expect(res.body.state).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(res.text).not.to.include(botToken.split(':')[1]);
  });

  it('when an admin links Telegram with signed widget data, then that Telegram account signs in as the admin', async () => {
    const { admin, auth } = await signedIn();
    const linked = await linkWith(auth, linkWidget());
    expect(linked.status, JSON.stringify(linked.body)).to.equal(200);
    expect(linked.body).to.deep.equal({ provider: 'telegram', provider_user_id: '424242', provider_username: 'alice_tg' });

    // As strings, as a page may forward them, with a photo this time: still the same account.
    const login = await loginWith(widget({ id: '424242', auth_date: String(nowSeconds()), photo_url: 'https://t.me/i/userpic/320/a.jpg' }));
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    expect(String(login.headers['set-cookie'])).to.include('refresh_token=');
    const me = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.access_token as string}`);
    expect(me.body.id).to.equal(admin.id);

    const actions = (await t.container.cradle.db('audit_logs').where({ admin_id: admin.id })).map((entry: { action: string }) => entry.action);
    expect(actions).to.include.members(['oauth.linked', 'auth.login_succeeded']);
  });

  it('when auth_date is more than a day old or too far in the future, then link and login are refused', async () => {
    const { auth } = await signedIn();
    const stale = widget({ auth_date: nowSeconds() - 86_400 - 60 });
    expect((await linkWith(auth, stale)).body).to.deep.equal(REFUSED);
    expect((await linkWith(auth, widget({ auth_date: nowSeconds() + 3600 }))).status).to.equal(401);
    expect((await linkWith(auth, linkWidget())).status).to.equal(200);
    const staleLogin = await loginWith(stale);
    expect(staleLogin.status).to.equal(401);
    expect(staleLogin.body).to.deep.equal(REFUSED);
  });

  it('when a signed field is changed, added or the hash is forged, then it is refused', async () => {
    const { auth } = await signedIn();
    expect((await linkWith(auth, linkWidget())).status).to.equal(200);
    const good = widget();
    expect((await loginWith({ ...good, username: 'mallory' })).status).to.equal(401);
    expect((await loginWith({ ...good, id: 1 })).status).to.equal(401);
    expect((await loginWith({ ...good, last_name: 'Smith' })).status).to.equal(401);
    expect((await loginWith({ ...good, hash: signWidget({ id: 424242, auth_date: nowSeconds() }, 'another:bot-token').hash })).status).to.equal(401);
    // A field Telegram might add later takes part in the hash like the others.
    expect((await loginWith(widget({ allows_write_to_pm: 'true' }))).status).to.equal(200);
    expect((await loginWith(good)).status).to.equal(200);
  });

  it('when the body is not widget data, then it is 422', async () => {
    const res = await loginWith({ id: 424242, auth_date: nowSeconds() });
    expect(res.status).to.equal(422);
    expect(res.body.detail[0].loc).to.deep.equal(['body', 'hash']);
    expect((await loginWith({ ...widget(), hash: 'zz' })).status).to.equal(422);
  });

  it('when a link state of the caller is sent, then it links, and the state is spent', async () => {
    const { auth } = await signedIn();
    const state = await authorize(auth);
    expect((await linkWith(auth, { ...widget(), state })).status).to.equal(200);
    expect((await linkWith(auth, { ...widget(), state })).status).to.equal(401);
    expect(await auditReasons('oauth.link_failed')).to.deep.equal(['unknown_state']);
  });

  it('when the link callback has no state, then it is 422 and nothing is linked', async () => {
    const { auth } = await signedIn();
    const res = await linkWithoutState(auth, widget());
    expect(res.status).to.equal(422);
    expect(res.body.detail[0].loc).to.deep.equal(['body', 'state']);
    expect(await t.container.cradle.db('oauth_accounts')).to.have.length(0);
  });

  it("when the link callback gets a login state, another admin's link state or a GitHub state, then it is 401 and nothing is linked", async () => {
    const victim = await signedIn();
    const other = await signedIn();
    // The same CSRF as for GitHub: someone's own widget data and a login state, posted through the victim's session.
    expect((await linkWith(victim.auth, { ...widget(), state: await authorize() })).status).to.equal(401);
    expect((await linkWith(victim.auth, { ...widget(), state: await authorize(other.auth) })).status).to.equal(401);
    const githubState = (await t.http.get('/api/v1/oauth/github/authorize').set(victim.auth)).body.state as string;
    const crossed = await linkWith(victim.auth, { ...widget(), state: githubState });
    expect(crossed.status).to.equal(401);
    expect(crossed.body).to.deep.equal(REFUSED);
    expect(await t.container.cradle.db('oauth_accounts')).to.have.length(0);
    expect(await auditReasons('oauth.link_failed')).to.have.members(['state_purpose_mismatch', 'state_admin_mismatch', 'state_provider_mismatch']);
  });

  it('when a state is sent to sign in, then it must be a login state we issued, and it is spent', async () => {
    const { auth } = await signedIn();
    expect((await linkWith(auth, linkWidget())).status).to.equal(200);
    const state = await authorize();
    expect((await loginWith({ ...widget({ auth_date: nowSeconds() - 1 }), state })).status).to.equal(200);
    expect((await loginWith({ ...widget({ auth_date: nowSeconds() - 2 }), state })).status).to.equal(401);
    expect((await loginWith({ ...widget({ auth_date: nowSeconds() - 3 }), state: await authorize(auth) })).status).to.equal(401);
    const githubState = (await t.http.get('/api/v1/oauth/github/authorize')).body.state as string;
    expect((await loginWith({ ...widget({ auth_date: nowSeconds() - 4 }), state: githubState })).status).to.equal(401);
    expect(await auditReasons('auth.login_failed')).to.have.members(['unknown_state', 'state_purpose_mismatch', 'state_provider_mismatch']);
  });

  it('when a signed login payload is replayed, then the second use is 401, whatever the case of its hash', async () => {
    const { auth } = await signedIn();
    expect((await linkWith(auth, linkWidget())).status).to.equal(200);
    const authDate = nowSeconds() - 3600;
    const payload = widget({ auth_date: authDate });
    const first = await loginWith(payload);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);

    const replayed = await loginWith(payload);
    expect(replayed.status).to.equal(401);
    expect(replayed.body).to.deep.equal(REFUSED);
    expect(replayed.headers['set-cookie']).to.equal(undefined);
    expect((await loginWith({ ...payload, hash: String(payload.hash).toUpperCase() })).status).to.equal(401);
    expect(await auditReasons('auth.login_failed')).to.deep.equal(['telegram_payload_reused', 'telegram_payload_reused']);

    // Remembered (by the hash's hash, under the key prefix) exactly while the payload would still be fresh.
    const { redis, config } = t.container.cradle;
    const ttl = await redis.ttl(redisKey(config, 'telegram-login-used', sha256Hex(String(payload.hash))));
    const left = authDate + 86_400 - nowSeconds();
    expect(ttl).to.be.within(left - 5, left + 1);

    // Fresh data from the widget still signs in.
    expect((await loginWith(widget())).status).to.equal(200);
  });

  it('when a payload is refused (bad hash or stale), then it is not remembered as used', async () => {
    const { auth } = await signedIn();
    expect((await linkWith(auth, linkWidget())).status).to.equal(200);
    const good = widget({ auth_date: nowSeconds() - 10 });
    expect((await loginWith({ ...good, username: 'mallory' })).status).to.equal(401);
    expect((await loginWith(good)).status).to.equal(200);
    const { redis, config } = t.container.cradle;
    // Two used: the link's payload and the good sign-in; the refused one is not among them.
    expect(await redis.keys(`${config.redis.keyPrefix}{telegram-login-used}:*`)).to.have.length(2);
  });

  it('when the Telegram account is linked to another admin or to nobody, then 409 / 401', async () => {
    const first = await signedIn();
    const second = await signedIn();
    expect((await linkWith(first.auth, linkWidget())).status).to.equal(200);
    const taken = await linkWith(second.auth, linkWidget());
    expect(taken.status).to.equal(409);
    expect(taken.body).to.deep.equal({ detail: 'OAuth account already exists' });
    const stranger = await loginWith(widget({ id: 777, username: 'stranger' }));
    expect(stranger.status).to.equal(401);
    expect(stranger.body).to.deep.equal(REFUSED);
  });

  it('when Telegram is unlinked, then the account no longer signs in', async () => {
    const { auth } = await signedIn();
    expect((await linkWith(auth, linkWidget())).status).to.equal(200);
    expect((await t.http.delete('/api/v1/oauth/telegram').set(auth)).status).to.equal(204);
    expect((await loginWith(widget())).status).to.equal(401);
    expect((await t.http.delete('/api/v1/oauth/telegram').set(auth)).status).to.equal(404);
  });

  it('when the published vector is sent, then the real clock refuses it as stale and a clock fixed at its time accepts it', async () => {
    const vector = vectors.telegram_login_widget;
    const payload = { ...vector.fields, hash: vector.hash };
    const { auth } = await signedIn();
    expect((await linkWith(auth, payload)).status).to.equal(401);
    expect(await auditReasons('oauth.link_failed')).to.deep.equal(['telegram_stale']);

    const atVectorTime = { now: () => (Number(vector.fields.auth_date) + 120) * 1000 };
    const fixed = await createTestApp({}, (container) => container.register({ clock: asValue(atVectorTime) }));
    try {
      const admin = await createAdmin(fixed.container);
      const login = await fixed.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
      const bearer = { Authorization: `Bearer ${login.body.access_token as string}` };
      await reauthenticate(fixed, bearer, admin.password);
      const state = (await fixed.http.get('/api/v1/oauth/telegram/authorize').set(bearer)).body.state as string;
      const linked = await fixed.http
        .post('/api/v1/oauth/telegram/callback')
        .set(bearer)
        .send({ ...payload, state });
      expect(linked.status, JSON.stringify(linked.body)).to.equal(200);
      expect(linked.body).to.deep.equal({ provider: 'telegram', provider_user_id: '123456789', provider_username: 'alice_admin' });
      // Single use, also with a clock that keeps it fresh: the link spent it, so it cannot sign in.
      const loginState = keepLoginState(await fixed.http.get('/api/v1/oauth/telegram/authorize'));
      const again = await fixed.http
        .post('/api/v1/auth/oauth/telegram/login')
        .set(withNonceOf(loginState))
        .send({ ...payload, state: loginState });
      expect(again.status).to.equal(401);
    } finally {
      await fixed.reset(); // the published vector is constant: leave no "used" mark behind
      await fixed.close();
    }
  });
});

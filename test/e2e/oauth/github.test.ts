import { expect } from 'chai';
import { generate } from 'otplib';
import { redisKey } from '../../../src/infrastructure/redis/redis';
import { decryptSecret, sha256Hex } from '../../../src/shared/secrets';
import { FakeGitHub } from '../../fakes/github';
import { reauthenticate } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { keepLoginState, withNonceOf } from './login-states';
import { createTestApp, type TestApp } from '../../support/test-app';

const UPSTREAM = { detail: 'Upstream service unavailable' };
const REFUSED = { detail: 'Invalid credentials' };

describe('oauth: GitHub link and login against the fake GitHub', function () {
  this.timeout(30_000);
  let t: TestApp;
  let github: FakeGitHub;
  const octocat = { id: 583231, login: 'octocat' };

  before(async () => {
    github = await new FakeGitHub().start();
    t = await createTestApp({ ...github.env(), OUTBOUND_TIMEOUT: '1s' });
  });
  after(async () => {
    await t.close();
    await github.stop();
  });
  beforeEach(async () => {
    await t.reset();
    github.reset();
  });

  async function signedIn(overrides: Parameters<typeof createAdmin>[1] = {}) {
    const admin = await createAdmin(t.container, overrides);
    const res = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(res.status).to.equal(200);
    const auth = { Authorization: `Bearer ${res.body.access_token as string}` };
    // Linking and unlinking need a re-authenticated session; the tests that say otherwise skip this.
    await reauthenticate(t, auth, admin.password);
    return { admin, auth };
  }

  /** With the caller's credentials: a link state bound to that admin; without: a login state. */
  async function authorize(auth: Record<string, string> = {}): Promise<string> {
    const res = await t.http.get('/api/v1/oauth/github/authorize').set(auth);
    keepLoginState(res);
    expect(res.status).to.equal(200);
    return res.body.state as string;
  }

  /** The whole browser round trip: authorize (signed in), the user approves on GitHub, the frontend posts code and state. */
  async function link(auth: Record<string, string>, user = octocat) {
    return t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code: github.approve(user), state: await authorize(auth) });
  }

  const oauthLogin = async (user = octocat) => {
    const state = await authorize();
    return t.http.post('/api/v1/auth/oauth/github/login').set(withNonceOf(state)).send({ code: github.approve(user), state });
  };

  it('when authorize is called without credentials, then it answers the GitHub URL with a login state kept 10 minutes in Redis', async () => {
    const res = await t.http.get('/api/v1/oauth/github/authorize');
    expect(res.status).to.equal(200);
    const url = new URL(res.body.authorize_url as string);
    expect(`${url.origin}${url.pathname}`).to.equal(`${github.oauthUrl}/login/oauth/authorize`);
    expect(url.searchParams.get('client_id')).to.equal(github.clientId);
    expect(url.searchParams.get('scope')).to.equal('read:user');
    expect(url.searchParams.get('state')).to.equal(res.body.state);
    expect(res.body.state).to.match(/^[A-Za-z0-9_-]{43}$/);
    const { redis, config } = t.container.cradle;
    const key = redisKey(config, 'oauth-state', sha256Hex(res.body.state as string));
    expect(await redis.ttl(key)).to.be.within(590, 600);
    // Bound to this browser: the nonce goes to it as an httpOnly cookie for the sign-in route only; Redis keeps its hash.
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).to.match(/^oauth_login_nonce_github=[A-Za-z0-9_-]{43}; Max-Age=600; Path=\/api\/v1\/auth\/oauth; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    const nonce = /^oauth_login_nonce_github=([^;]+)/.exec(cookie)![1] as string;
    expect(JSON.parse((await redis.get(key))!)).to.deep.equal({ provider: 'github', purpose: 'login', browser: sha256Hex(nonce) });
  });

  it('when an admin links GitHub and later signs in with it, then the tokens work and the GitHub token is stored encrypted', async () => {
    const { admin, auth } = await signedIn();
    const linked = await link(auth);
    expect(linked.status, JSON.stringify(linked.body)).to.equal(200);
    expect(linked.body).to.deep.equal({ provider: 'github', provider_user_id: '583231', provider_username: 'octocat' });

    const row = await t.container.cradle.db('oauth_accounts').where({ admin_id: admin.id }).first();
    expect(row).to.include({ provider: 'github', provider_user_id: '583231' });
    const tokenRequest = github.requests.find((request) => request.path === '/login/oauth/access_token');
    expect(tokenRequest).to.exist;
    const issued = github.requests.find((request) => request.path === '/user')?.headers.authorization?.replace('Bearer ', '');
    expect(row.access_token_encrypted).to.be.a('string').and.not.include(issued);
    expect(decryptSecret(row.access_token_encrypted as string, t.container.cradle.config.dataEncryptionKey)).to.equal(issued);

    const login = await oauthLogin();
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    expect(login.body.token_type).to.equal('bearer');
    expect(String(login.headers['set-cookie'])).to.include('access_token=').and.include('HttpOnly');
    const me = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.access_token as string}`);
    expect(me.status).to.equal(200);
    expect(me.body.id).to.equal(admin.id);
    const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(refreshed.status).to.equal(200);

    const actions = (await t.container.cradle.db('audit_logs').where({ admin_id: admin.id })).map((entry: { action: string }) => entry.action);
    expect(actions).to.include.members(['oauth.linked', 'auth.login_succeeded']);
    const audit = JSON.stringify(await t.container.cradle.db('audit_logs'));
    expect(audit).not.to.include(issued);
  });

  it('when a state is used twice, is unknown or was issued for Telegram, then it is refused', async () => {
    const { auth } = await signedIn();
    const state = await authorize(auth);
    expect((await t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code: github.approve(octocat), state })).status).to.equal(200);
    const reused = await t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code: github.approve(octocat), state });
    expect(reused.status).to.equal(401);
    expect(reused.body).to.deep.equal(REFUSED);

    const unknown = await t.http.post('/api/v1/auth/oauth/github/login').send({ code: github.approve(octocat), state: 'A'.repeat(43) });
    expect(unknown.status).to.equal(401);
    expect(unknown.body).to.deep.equal(REFUSED);

    const telegramState = (await t.http.get('/api/v1/oauth/telegram/authorize')).body.state as string;
    const crossed = await t.http.post('/api/v1/auth/oauth/github/login').send({ code: github.approve(octocat), state: telegramState });
    expect(crossed.status).to.equal(401);
    // Refused before any code exchange.
    expect(github.requests.filter((request) => request.path === '/login/oauth/access_token')).to.have.length(1);
  });

  it('when GitHub answers bad_verification_code (HTTP 200), then it is 401 and the state is spent', async () => {
    const { auth } = await signedIn();
    const state = await authorize(auth);
    const bad = await t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code: 'deadbeefdeadbeefdead', state });
    expect(bad.status).to.equal(401);
    expect(bad.body).to.deep.equal(REFUSED);
    const retry = await t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code: github.approve(octocat), state });
    expect(retry.status).to.equal(401);
    expect(await t.container.cradle.db('oauth_accounts')).to.have.length(0);
  });

  it('when GitHub fails (5xx, malformed JSON, connection reset, a bad profile), then 502; when it hangs, then 504', async () => {
    await signedIn();
    const expectations: Array<[Parameters<FakeGitHub['failNext']>, number]> = [
      [['oauth', 'server_error'], 502],
      [['oauth', 'malformed_json'], 502],
      [['oauth', 'reset'], 502],
      [['api', 'bad_user_shape'], 502],
      [['api', 'server_error'], 502],
      [['oauth', 'hang'], 504],
    ];
    for (const [failure, status] of expectations) {
      github.failNext(...failure);
      const res = await oauthLogin();
      expect(res.status, failure.join(' ')).to.equal(status);
      expect(res.body).to.deep.equal(UPSTREAM);
      expect(res.text).not.to.include('127.0.0.1').and.not.include('GitHub');
    }
  });

  it('when GitHub is down, then the OAuth login answers 502', async () => {
    const down = await createTestApp(); // GitHub URLs point at 127.0.0.1:9: nothing listens there.
    try {
      const state = keepLoginState(await down.http.get('/api/v1/oauth/github/authorize'));
      const res = await down.http.post('/api/v1/auth/oauth/github/login').set(withNonceOf(state)).send({ code: 'abcdef0123456789abcd', state });
      expect(res.status).to.equal(502);
      expect(res.body).to.deep.equal(UPSTREAM);
    } finally {
      await down.close();
    }
  });

  it('when the GitHub account is linked to another admin, or the admin has another GitHub account linked, then 409', async () => {
    const first = await signedIn();
    const second = await signedIn();
    expect((await link(first.auth)).status).to.equal(200);
    const taken = await link(second.auth);
    expect(taken.status).to.equal(409);
    expect(taken.body).to.deep.equal({ detail: 'OAuth account already exists' });

    // Linking the same account again is harmless; a second GitHub account is not.
    expect((await link(first.auth)).status).to.equal(200);
    expect((await link(first.auth, { id: 9001, login: 'other' })).status).to.equal(409);
    const rows = await t.container.cradle.db('oauth_accounts').select('admin_id', 'provider_user_id');
    expect(rows).to.deep.equal([{ admin_id: first.admin.id, provider_user_id: '583231' }]);
  });

  it('when the GitHub account is linked to nobody or to an inactive admin, then login is 401 Invalid credentials', async () => {
    const unlinked = await oauthLogin();
    expect(unlinked.status).to.equal(401);
    expect(unlinked.body).to.deep.equal(REFUSED);

    const { admin, auth } = await signedIn();
    expect((await link(auth)).status).to.equal(200);
    await t.container.cradle.db('admin_users').where({ id: admin.id }).update({ is_active: false });
    const inactive = await oauthLogin();
    expect(inactive.status).to.equal(401);
    expect(inactive.body).to.deep.equal(REFUSED);
    const reasons = (await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' })).map(
      (entry: { new_value: { reason: string } }) => entry.new_value.reason,
    );
    expect(reasons).to.include.members(['unlinked_account', 'inactive']);
  });

  it('when the linked admin has 2FA on, then the OAuth login answers requires_2fa and /2fa/complete finishes it', async () => {
    const { auth } = await signedIn();
    expect((await link(auth)).status).to.equal(200);
    const secret = (await t.http.post('/api/v1/2fa/setup').set(auth).send()).body.secret as string;
    const now = Math.floor(Date.now() / 1000);
    expect((await t.http.post('/api/v1/2fa/verify').set(auth).send({ code: await generate({ secret, epoch: now }) })).status).to.equal(200);

    const login = await oauthLogin();
    expect(login.status).to.equal(200);
    expect(login.body).to.include({ requires_2fa: true });
    expect(login.body).not.to.have.property('access_token');
    expect(String(login.headers['set-cookie']), 'no session cookie before the second factor').not.to.match(/access_token=|refresh_token=/);
    const complete = await t.http
      .post('/api/v1/2fa/complete')
      .set('Authorization', `Bearer ${login.body.tfa_token as string}`)
      .send({ code: await generate({ secret, epoch: now - 30 }) });
    expect(complete.status, JSON.stringify(complete.body)).to.equal(200);
    expect(complete.body.access_token).to.be.a('string');
  });

  it('when GitHub is unlinked, then it is 204, again 404, and the account no longer signs in', async () => {
    const { admin, auth } = await signedIn();
    expect((await link(auth)).status).to.equal(200);
    expect((await t.http.delete('/api/v1/oauth/github').set(auth)).status).to.equal(204);
    const again = await t.http.delete('/api/v1/oauth/github').set(auth);
    expect(again.status).to.equal(404);
    expect(again.body).to.deep.equal({ detail: 'OAuth account not found' });
    expect((await t.http.delete('/api/v1/oauth/gitlab').set(auth)).status).to.equal(422);
    expect((await oauthLogin()).status).to.equal(401);
    expect(await t.container.cradle.db('audit_logs').where({ admin_id: admin.id, action: 'oauth.unlinked' })).to.have.length(1);
  });

  it('when the callback is called without a token or with a malformed body, then 401 / 422', async () => {
    expect((await t.http.post('/api/v1/oauth/github/callback').send({ code: 'abc', state: await authorize() })).status).to.equal(401);
    const { auth } = await signedIn();
    const res = await t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code: 'abc' });
    expect(res.status).to.equal(422);
    expect(res.body.detail[0].loc).to.deep.equal(['body', 'state']);
  });
});

import { expect } from 'chai';
import supertest from 'supertest';
import { redisKey } from '../../../src/infrastructure/redis/redis';
import { sha256Hex } from '../../../src/shared/secrets';
import { FakeGitHub, type FakeGitHubUser } from '../../fakes/github';
import { reauthenticate } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { keepLoginState, withNonceOf } from './login-states';
import { createTestApp, type TestApp } from '../../support/test-app';

const REFUSED = { detail: 'Invalid credentials' };
const BAD_TOKEN = { detail: 'Invalid or expired token' };
const ORIGIN = 'http://admin.test'; // CORS_ORIGINS of the test environment
const sameSite = { Origin: ORIGIN };

/**
 * The OAuth state is bound to what it was issued for: a login state (authorize without
 * credentials) only signs in; a link state (authorize with credentials) only links, and only for
 * the admin who asked for it. The first case is the account takeover this binding closes.
 */
describe('oauth: state bound to its purpose and to the linking admin', function () {
  this.timeout(30_000);
  let t: TestApp;
  let github: FakeGitHub;
  const victimGitHub: FakeGitHubUser = { id: 583231, login: 'octocat' };
  const attackerGitHub: FakeGitHubUser = { id: 666, login: 'mallory' };

  before(async () => {
    github = await new FakeGitHub().start();
    t = await createTestApp(github.env());
  });
  after(async () => {
    await t.close();
    await github.stop();
  });
  beforeEach(async () => {
    await t.reset();
    github.reset();
  });

  async function signedIn() {
    const admin = await createAdmin(t.container);
    const res = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(res.status).to.equal(200);
    const auth = { Authorization: `Bearer ${res.body.access_token as string}` };
    // Linking and unlinking need a re-authenticated session; the tests that say otherwise skip this.
    await reauthenticate(t, auth, admin.password);
    return { admin, auth };
  }

  async function authorize(auth: Record<string, string> = {}): Promise<string> {
    const res = await t.http.get('/api/v1/oauth/github/authorize').set(auth);
    keepLoginState(res);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.state as string;
  }

  const callback = (auth: Record<string, string>, code: string, state: string) =>
    t.http.post('/api/v1/oauth/github/callback').set(auth).send({ code, state });
  const oauthLogin = (code: string, state: string) => t.http.post('/api/v1/auth/oauth/github/login').set(withNonceOf(state)).send({ code, state });
  const codeExchanges = () => github.requests.filter((request) => request.path === '/login/oauth/access_token').length;
  const linkFailures = async () =>
    (await t.container.cradle.db('audit_logs').where({ action: 'oauth.link_failed' })).map(
      (entry: { admin_id: string; new_value: { reason: string; provider: string } }) => ({ admin_id: entry.admin_id, ...entry.new_value }),
    );
  const storedState = async (state: string): Promise<unknown> => {
    const { redis, config } = t.container.cradle;
    const raw = await redis.get(redisKey(config, 'oauth-state', sha256Hex(state)));
    return raw === null ? null : JSON.parse(raw);
  };

  it("when the victim's browser session posts the attacker's code and login state, then it is 401, nothing is linked and the attacker cannot sign in as the victim", async () => {
    const victim = await createAdmin(t.container);
    const browser = supertest.agent(t.app);
    expect((await browser.post('/api/v1/auth/login').send({ login_or_email: victim.login, password: victim.password })).status).to.equal(200);
    // Even right after the victim re-authenticated (the worst case), the login state is refused.
    expect((await browser.post('/api/v1/2fa/reauth').set(sameSite).send({ password: victim.password })).status).to.equal(204);

    // The attacker, with no session of ours: public authorize, approves with their own GitHub, keeps code + state.
    const attackerState = await authorize();
    const attackerCode = github.approve(attackerGitHub);

    // The victim's frontend (cookie session, same-site write) is made to post them.
    const forced = await browser.post('/api/v1/oauth/github/callback').set(sameSite).send({ code: attackerCode, state: attackerState });
    expect(forced.status).to.equal(401);
    expect(forced.body).to.deep.equal(REFUSED);
    expect(await t.container.cradle.db('oauth_accounts')).to.have.length(0);
    expect(codeExchanges(), 'refused before the code is exchanged').to.equal(0);
    expect(await linkFailures()).to.deep.equal([{ admin_id: victim.id, provider: 'github', reason: 'state_purpose_mismatch' }]);
    expect(await storedState(attackerState), 'the state is spent').to.equal(null);

    // The attacker then tries to sign in with their GitHub: linked to nobody.
    const takeover = await oauthLogin(github.approve(attackerGitHub), await authorize());
    expect(takeover.status).to.equal(401);
    expect(takeover.body).to.deep.equal(REFUSED);
    expect(takeover.headers['set-cookie']).to.equal(undefined);
  });

  it("when a login state is posted without the nonce cookie of the browser that asked for it (login CSRF), then it is 401, spent, and no one is signed in", async () => {
    const { auth } = await signedIn();
    expect((await callback(auth, github.approve(attackerGitHub), await authorize(auth))).status, 'the attacker linked their own GitHub').to.equal(200);

    // The attacker's code + login state, pushed into a victim's browser: it has no (or its own) nonce cookie.
    const attackerState = await authorize();
    const victimBrowserState = await authorize();
    const pushed = await t.http.post('/api/v1/auth/oauth/github/login').send({ code: github.approve(attackerGitHub), state: attackerState });
    expect(pushed.status).to.equal(401);
    expect(pushed.body).to.deep.equal(REFUSED);
    expect(pushed.headers['set-cookie']).to.equal(undefined);
    expect(await storedState(attackerState), 'spent').to.equal(null);
    const otherNonce = await t.http
      .post('/api/v1/auth/oauth/github/login')
      .set(withNonceOf(victimBrowserState))
      .send({ code: github.approve(attackerGitHub), state: await authorize() });
    expect(otherNonce.status, "another browser's nonce").to.equal(401);
    expect(codeExchanges(), 'refused before the code is exchanged').to.equal(1);
    const reasons = (await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' })).map(
      (entry: { new_value: { reason: string } }) => entry.new_value.reason,
    );
    expect(reasons).to.deep.equal(['state_browser_mismatch', 'state_browser_mismatch']);

    // The browser that asked signs in, and its nonce cookie is cleared.
    const own = await authorize();
    const login = await oauthLogin(github.approve(attackerGitHub), own);
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    expect(String(login.headers['set-cookie'])).to.match(/oauth_login_nonce_github=; Path=\/api\/v1\/auth\/oauth; Expires=Thu, 01 Jan 1970/);
  });

  it('when a Telegram sign-in comes without a state, then it is 422 (a state of this browser is required)', async () => {
    const res = await t.http.post('/api/v1/auth/oauth/telegram/login').send({ id: 1, auth_date: Math.floor(Date.now() / 1000), hash: 'a'.repeat(64) });
    expect(res.status).to.equal(422);
    expect(res.body.detail.map((issue: { loc: string[] }) => issue.loc.join('.'))).to.deep.equal(['body.state']);
  });

  it('when a link state issued to admin A is posted by admin B, then it is 401, nothing is linked and the state is spent', async () => {
    const a = await signedIn();
    const b = await signedIn();
    const stateOfA = await authorize(a.auth);
    expect(await storedState(stateOfA)).to.deep.equal({ provider: 'github', purpose: 'link', adminId: a.admin.id });

    const crossed = await callback(b.auth, github.approve(attackerGitHub), stateOfA);
    expect(crossed.status).to.equal(401);
    expect(crossed.body).to.deep.equal(REFUSED);
    expect(await t.container.cradle.db('oauth_accounts')).to.have.length(0);
    expect(codeExchanges()).to.equal(0);
    expect(await linkFailures()).to.deep.equal([{ admin_id: b.admin.id, provider: 'github', reason: 'state_admin_mismatch' }]);

    // Spent: not even A can use it now.
    expect((await callback(a.auth, github.approve(victimGitHub), stateOfA)).status).to.equal(401);
  });

  it('when a link state is used to sign in, then it is 401 and audited as a purpose mismatch', async () => {
    const { auth } = await signedIn();
    expect((await callback(auth, github.approve(victimGitHub), await authorize(auth))).status).to.equal(200);

    const res = await oauthLogin(github.approve(victimGitHub), await authorize(auth));
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal(REFUSED);
    expect(res.headers['set-cookie']).to.equal(undefined);
    expect(codeExchanges(), 'only the link exchanged a code').to.equal(1);
    const reasons = (await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' })).map(
      (entry: { new_value: { reason: string } }) => entry.new_value.reason,
    );
    expect(reasons).to.deep.equal(['state_purpose_mismatch']);
  });

  it('when a login state is used to link, then it is 401 and nothing is linked', async () => {
    const { admin, auth } = await signedIn();
    const res = await callback(auth, github.approve(victimGitHub), await authorize());
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal(REFUSED);
    expect(await t.container.cradle.db('oauth_accounts')).to.have.length(0);
    expect(await linkFailures()).to.deep.equal([{ admin_id: admin.id, provider: 'github', reason: 'state_purpose_mismatch' }]);
  });

  it('when authorize is called with credentials, then the state links that admin; without, it signs in', async () => {
    const { admin, auth } = await signedIn();
    const linkState = await authorize(auth);
    const linked = await callback(auth, github.approve(victimGitHub), linkState);
    expect(linked.status, JSON.stringify(linked.body)).to.equal(200);
    expect(linked.body).to.deep.equal({ provider: 'github', provider_user_id: '583231', provider_username: 'octocat' });

    const login = await oauthLogin(github.approve(victimGitHub), await authorize());
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const me = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.access_token as string}`);
    expect(me.body.id).to.equal(admin.id);
  });

  it('when authorize is called with the access cookie, then the state is a link state of that admin', async () => {
    const admin = await createAdmin(t.container);
    const browser = supertest.agent(t.app);
    expect((await browser.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password })).status).to.equal(200);
    expect((await browser.post('/api/v1/2fa/reauth').set(sameSite).send({ password: admin.password })).status).to.equal(204);
    const res = await browser.get('/api/v1/oauth/github/authorize');
    expect(res.status).to.equal(200);
    expect(await storedState(res.body.state as string)).to.deep.equal({ provider: 'github', purpose: 'link', adminId: admin.id });
    const linked = await browser.post('/api/v1/oauth/github/callback').set(sameSite).send({ code: github.approve(victimGitHub), state: res.body.state });
    expect(linked.status, JSON.stringify(linked.body)).to.equal(200);
  });

  it('when authorize is called with an invalid, malformed or revoked bearer or a bad cookie, then it is 401 and no state is issued', async () => {
    const { auth } = await signedIn();
    expect((await t.http.post('/api/v1/auth/logout-all').set(auth).send({})).status).to.equal(204);
    const attempts: Array<Record<string, string>> = [
      { Authorization: 'Bearer not.a.jwt' },
      { Authorization: 'Basic dXNlcjpwYXNz' },
      auth, // a session since revoked
      { Cookie: 'access_token=not.a.jwt' },
    ];
    for (const headers of attempts) {
      for (const provider of ['github', 'telegram']) {
        const res = await t.http.get(`/api/v1/oauth/${provider}/authorize`).set(headers);
        expect(res.status, `${provider} ${JSON.stringify(headers)}`).to.equal(401);
        expect(res.body).to.deep.equal(BAD_TOKEN);
        expect(res.headers['www-authenticate']).to.equal('Bearer');
      }
    }
    const { redis, config } = t.container.cradle;
    expect(await redis.keys(`${config.redis.keyPrefix}{oauth-state}*`)).to.deep.equal([]);
  });

  it('when the OpenAPI document is fetched, then the OAuth routes say how their state is bound', async () => {
    const paths = (await t.http.get('/openapi.json')).body.paths as Record<string, Record<string, { description?: string; responses: object }>>;
    const authorizeOp = paths['/api/v1/oauth/github/authorize']!.get!;
    expect(authorizeOp.description).to.include('link').and.include('login');
    expect(authorizeOp.responses).to.have.property('401');
    expect(paths['/api/v1/oauth/github/callback']!.post!.description).to.include('bound to the caller');
    expect(paths['/api/v1/oauth/telegram/callback']!.post!.description).to.include('required');
    expect(paths['/api/v1/auth/oauth/telegram/login']!.post!.description).to.include('once');
  });
});

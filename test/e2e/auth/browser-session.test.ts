import { expect } from 'chai';
import supertest from 'supertest';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';

const ORIGIN = 'http://admin.test'; // CORS_ORIGINS of the test environment
/** What the real admin frontend sends with a write: its Origin, no X-Requested-With, no CSRF token. */
const sameSite = { Origin: ORIGIN };

const cookieHeaders = (response: supertest.Response): string[] => {
  const raw = response.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? (raw as string[]) : [];
};
const cookieNamed = (response: supertest.Response, name: string) => cookieHeaders(response).find((c) => c.startsWith(`${name}=`));

describe('auth: browser sessions with cookies only', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  it('when a browser logs in, checks its session, refreshes with {} and logs out, then only cookies carry the tokens and logout clears them', async () => {
    const admin = await createAdmin(t.container);
    const browser = supertest.agent(t.app);

    const login = await browser.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password, remember_me: true });
    expect(login.status).to.equal(200);
    const access = cookieNamed(login, 'access_token');
    const refresh = cookieNamed(login, 'refresh_token');
    expect(access).to.match(/; Path=\/api;/).and.match(/HttpOnly/).and.match(/SameSite=Strict/).and.match(/Max-Age=\d+/);
    expect(refresh).to.match(/; Path=\/api\/v1\/auth;/).and.match(/HttpOnly/).and.match(/SameSite=Strict/);

    const session = await browser.get('/api/v1/auth/session');
    expect(session.status).to.equal(200);
    expect(session.body.login).to.equal(admin.login);

    const refreshed = await browser.post('/api/v1/auth/refresh').set(sameSite).send({});
    expect(refreshed.status).to.equal(200);
    expect(cookieNamed(refreshed, 'refresh_token')).to.not.equal(refresh);

    const logout = await browser.post('/api/v1/auth/logout').set(sameSite).send({});
    expect(logout.status).to.equal(204);
    for (const name of ['access_token', 'refresh_token']) {
      expect(cookieNamed(logout, name), name).to.match(/Expires=Thu, 01 Jan 1970/);
    }
    expect((await browser.get('/api/v1/auth/session')).status).to.equal(401);
  });

  it('when a cookie-authenticated write comes from another origin, Origin null, or shows no origin at all, then it is 403 and changes nothing', async () => {
    const admin = await createAdmin(t.container);
    const browser = supertest.agent(t.app);
    await browser.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });

    const refusals: Array<[string, Record<string, string>]> = [
      ['a foreign Origin', { Origin: 'https://evil.example' }],
      ['a foreign Origin even with X-Requested-With', { Origin: 'https://evil.example', 'X-Requested-With': 'XMLHttpRequest' }],
      ['Origin: null', { Origin: 'null' }],
      ['an allowed origin as a prefix', { Origin: `${ORIGIN}.evil.example` }],
      ['neither Origin nor Sec-Fetch-Site', {}],
      ['no Origin and Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['no Origin and Sec-Fetch-Site: same-site (a sibling subdomain)', { 'Sec-Fetch-Site': 'same-site' }],
      ['a foreign Origin with Sec-Fetch-Site: same-origin', { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'same-origin' }],
    ];
    for (const [what, headers] of refusals) {
      const res = await browser.post('/api/v1/auth/logout-all').set(headers);
      expect(res.status, what).to.equal(403);
      expect(res.body, what).to.deep.equal({ detail: 'Cross-site request refused' });
      expect((await browser.post('/api/v1/auth/refresh').set(headers).send({})).status, `refresh: ${what}`).to.equal(403);
      expect((await browser.post('/api/v1/auth/logout').set(headers)).status, `logout: ${what}`).to.equal(403);
    }
    expect((await browser.get('/api/v1/auth/session')).status, 'session still live').to.equal(200);
  });

  it('when a cookie-authenticated write carries the allowed Origin only (as the frontend sends it), or no Origin but Sec-Fetch-Site: same-origin, then it is accepted', async () => {
    const admin = await createAdmin(t.container);
    const browser = supertest.agent(t.app);
    await browser.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect((await browser.post('/api/v1/auth/refresh').set({ 'Sec-Fetch-Site': 'same-origin' }).send({})).status).to.equal(200);
    expect((await browser.post('/api/v1/auth/logout-all').set(sameSite)).status).to.equal(204);
    expect((await browser.get('/api/v1/auth/session')).status).to.equal(401);

    await browser.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect((await browser.post('/api/v1/auth/logout-all').set({ 'Sec-Fetch-Site': 'same-origin' })).status).to.equal(204);
    expect((await browser.get('/api/v1/auth/session')).status).to.equal(401);
  });

  it('when a bearer-authenticated write has neither Origin nor X-Requested-With, then it is accepted', async () => {
    const admin = await createAdmin(t.container);
    const login = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    const response = await t.http.post('/api/v1/auth/logout-all').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(response.status).to.equal(204);
  });

  it('when remember_me is off, then the cookies are session cookies', async () => {
    const admin = await createAdmin(t.container);
    const login = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(cookieNamed(login, 'access_token')).to.not.match(/Max-Age|Expires/);
    expect(cookieNamed(login, 'refresh_token')).to.not.match(/Max-Age|Expires/);
  });
});

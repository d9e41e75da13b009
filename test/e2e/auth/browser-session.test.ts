import { expect } from 'chai';
import supertest from 'supertest';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';

const ORIGIN = 'http://admin.test'; // CORS_ORIGINS of the test environment
const sameSite = { Origin: ORIGIN, 'X-Requested-With': 'XMLHttpRequest' };

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

  it('when a cookie-authenticated write lacks X-Requested-With or comes from another origin, then it is refused and changes nothing', async () => {
    const admin = await createAdmin(t.container);
    const browser = supertest.agent(t.app);
    await browser.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });

    const noHeader = await browser.post('/api/v1/auth/logout-all').set({ Origin: ORIGIN });
    expect(noHeader.status).to.equal(403);
    expect(noHeader.body).to.deep.equal({ detail: 'Cross-site request refused' });
    const foreign = await browser.post('/api/v1/auth/logout-all').set({ Origin: 'https://evil.example', 'X-Requested-With': 'x' });
    expect(foreign.status).to.equal(403);
    const refreshNoHeader = await browser.post('/api/v1/auth/refresh').send({});
    expect(refreshNoHeader.status).to.equal(403);

    expect((await browser.get('/api/v1/auth/session')).status, 'session still live').to.equal(200);
    expect((await browser.post('/api/v1/auth/logout-all').set(sameSite)).status).to.equal(204);
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

import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';

describe('auth: login smoke', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  it('when an admin logs in, then the access token opens /auth/me and refresh rotates', async () => {
    const admin = await createAdmin(t.container);
    const login = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const me = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(me.status).to.equal(200);
    expect(me.body.login).to.equal(admin.login);
    const refreshed = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(refreshed.status).to.equal(200);
    const reused = await t.http.post('/api/v1/auth/refresh').send({ refresh_token: login.body.refresh_token });
    expect(reused.status).to.equal(401);
    const afterReuse = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${refreshed.body.access_token}`);
    expect(afterReuse.status).to.equal(401);
  });
});

import { expect } from 'chai';
import { generate } from 'otplib';
import supertest from 'supertest';
import { createAdmin } from '../../support/fixtures';
import { decodeQrDataUrl } from '../../support/qr';
import { createTestApp, type TestApp } from '../../support/test-app';

const ORIGIN = 'http://admin.test'; // CORS_ORIGINS of the test environment
/** The only header the real admin frontend adds to a write (SPEC "The real admin frontend"): no X-Requested-With. */
const FRONTEND = { Origin: ORIGIN };
const STEP = 30;

/** The codes used are of the current step and the ones either side: start early in a step. */
async function earlyInAStep(): Promise<number> {
  const intoStep = (Date.now() / 1000) % STEP;
  if (intoStep > STEP - 12) await new Promise((resolve) => setTimeout(resolve, (STEP - intoStep + 0.2) * 1000));
  return Math.floor(Date.now() / 1000);
}

const setCookies = (response: supertest.Response): string[] => {
  const raw = response.headers['set-cookie'] as unknown;
  return Array.isArray(raw) ? (raw as string[]) : [];
};
const cookieNamed = (response: supertest.Response, name: string) => setCookies(response).find((c) => c.startsWith(`${name}=`));

/**
 * The real admin frontend's calls, replayed exactly as it sends them: a cookie jar only (no
 * token in script), `Origin` on writes and nothing else, refresh with `{}`, logout with no body
 * and no Content-Type, 2FA setup as reauth then a bodiless setup, disable with password and code
 * together, change-password with its confirmation field, 2FA completion by its server with the
 * tfa token as a bearer, reading both tokens from the body.
 */
describe('auth: the real admin frontend, call for call', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  it('when the frontend signs in, refreshes, sets up and uses 2FA, changes the password, disables 2FA and logs out, then every call succeeds', async () => {
    const now = await earlyInAStep();
    const admin = await createAdmin(t.container);
    const browser = supertest.agent(t.app);

    const login = await browser.post('/api/v1/auth/login').set(FRONTEND).send({ login_or_email: admin.login, password: admin.password });
    expect(login.status).to.equal(200);
    expect(login.body).not.to.have.property('requires_2fa');
    expect((await browser.get('/api/v1/auth/session')).body.login).to.equal(admin.login);

    const refreshed = await browser.post('/api/v1/auth/refresh').set(FRONTEND).send({});
    expect(refreshed.status, JSON.stringify(refreshed.body)).to.equal(200);

    // 2FA setup: reauth {password}, then setup with no body; it reads secret and qr_uri.
    expect((await browser.post('/api/v1/2fa/reauth').set(FRONTEND).send({ password: admin.password })).status).to.equal(204);
    const setup = await browser.post('/api/v1/2fa/setup').set(FRONTEND);
    expect(setup.status, JSON.stringify(setup.body)).to.equal(200);
    expect(decodeQrDataUrl(setup.body.qr_uri)).to.match(/^otpauth:\/\/totp\//);
    const secret = setup.body.secret as string;
    const verify = await browser
      .post('/api/v1/2fa/verify')
      .set(FRONTEND)
      .send({ code: await generate({ secret, epoch: now }) });
    expect(verify.status, JSON.stringify(verify.body)).to.equal(200);
    expect((await browser.get('/api/v1/2fa/status')).body.status).to.equal('enabled');

    // Logout: no body, no Content-Type; the cookie's session ends and the cookies are cleared.
    // No .send(): supertest sends no body and no Content-Type, as axios does for post(url).
    const logout = await browser.post('/api/v1/auth/logout').set(FRONTEND);
    expect(logout.status, JSON.stringify(logout.body)).to.equal(204);
    for (const name of ['access_token', 'refresh_token']) expect(cookieNamed(logout, name), name).to.match(/Expires=Thu, 01 Jan 1970/);
    expect((await browser.get('/api/v1/auth/session')).status).to.equal(401);

    // Sign-in with 2FA: login reads requires_2fa and tfa_token; its server completes with the tfa token as a bearer.
    const first = await browser.post('/api/v1/auth/login').set(FRONTEND).send({ login_or_email: admin.login, password: admin.password });
    expect(first.body).to.include({ requires_2fa: true });
    const complete = await browser
      .post('/api/v1/2fa/complete')
      .set({ Authorization: `Bearer ${first.body.tfa_token as string}` })
      .send({ code: await generate({ secret, epoch: now + STEP }) });
    expect(complete.status, JSON.stringify(complete.body)).to.equal(200);
    expect(complete.body.access_token).to.be.a('string');
    expect(complete.body.refresh_token).to.be.a('string');
    expect(cookieNamed(complete, 'access_token')).to.include(complete.body.access_token as string);
    expect(cookieNamed(complete, 'refresh_token')).to.include(complete.body.refresh_token as string);
    expect((await browser.get('/api/v1/auth/session')).status).to.equal(200);

    // change-password with its confirmation: a mismatch is a 422 the page can show; a match is 204.
    const mismatch = await browser
      .post('/api/v1/auth/change-password')
      .set(FRONTEND)
      .send({ current_password: admin.password, new_password: 'brand-new-pass-1', new_password_confirm: 'brand-new-pass-2' });
    expect(mismatch.status).to.equal(422);
    expect(mismatch.body.detail[0].loc).to.deep.equal(['body', 'new_password_confirm']);
    const changed = await browser
      .post('/api/v1/auth/change-password')
      .set(FRONTEND)
      .send({ current_password: admin.password, new_password: 'brand-new-pass-1', new_password_confirm: 'brand-new-pass-1' });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(204);

    // Disable: {password, code} together.
    const disabled = await browser
      .post('/api/v1/2fa/disable')
      .set(FRONTEND)
      .send({ password: 'brand-new-pass-1', code: await generate({ secret, epoch: now - STEP }) });
    expect(disabled.status, JSON.stringify(disabled.body)).to.equal(204);
    expect((await browser.get('/api/v1/2fa/status')).body.status).to.equal('disabled');

    expect((await browser.post('/api/v1/auth/logout').set(FRONTEND)).status).to.equal(204);
    expect((await browser.get('/api/v1/auth/session')).status).to.equal(401);
  });

  it('when the frontend lists, creates and revokes invites (GET/POST /admin/invites, DELETE /admin/invites/{token}), then each call succeeds', async () => {
    const admin = await createAdmin(t.container, { role: 'super_admin' });
    const browser = supertest.agent(t.app);
    expect((await browser.post('/api/v1/auth/login').set(FRONTEND).send({ login_or_email: admin.login, password: admin.password })).status).to.equal(200);

    const created = await browser.post('/api/v1/admin/invites').set(FRONTEND).send({ role: 'viewer', email_hint: 'new@example.test' });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    const token = created.body.invite_token as string;
    expect(token).to.be.a('string');
    const listed = await browser.get('/api/v1/admin/invites');
    expect(listed.status).to.equal(200);
    expect(listed.body.items.map((invite: { id: string; role: string; email_hint: string }) => [invite.id, invite.role, invite.email_hint])).to.deep.equal([
      [created.body.id, 'viewer', 'new@example.test'],
    ]);
    const revoked = await browser.delete(`/api/v1/admin/invites/${token}`).set(FRONTEND);
    expect(revoked.status, JSON.stringify(revoked.body)).to.equal(204);
    expect((await browser.get('/api/v1/admin/invites')).body.items).to.deep.equal([]);
  });
});

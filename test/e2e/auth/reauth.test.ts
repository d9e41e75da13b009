import { expect } from 'chai';
import { redisKey } from '../../../src/infrastructure/redis/redis';
import { REAUTH_TTL_SECONDS } from '../../../src/modules/auth/reauth-marks';
import { signIn } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

const REAUTH_REQUIRED = { detail: 'Re-authentication required' };

/** POST /2fa/reauth and the one check every sensitive route declares (`reauth: true`). */
describe('auth: re-authentication marks the current session for a few minutes', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const reauth = (auth: Record<string, string>, body: Record<string, unknown>) => t.http.post('/api/v1/2fa/reauth').set(auth).send(body);
  const setup = (auth: Record<string, string>) => t.http.post('/api/v1/2fa/setup').set(auth);
  const sessionIdOf = (accessToken: string): string => {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString('utf8')) as { sid: string };
    return payload.sid;
  };

  it('when a session re-authenticates, then that session alone carries the mark, for at most 5 minutes, audited', async () => {
    const admin = await createAdmin(t.container);
    const one = await signIn(t, admin.login, admin.password);
    const two = await signIn(t, admin.login, admin.password);

    expect((await setup(one.bearer)).body).to.deep.equal(REAUTH_REQUIRED);
    const done = await reauth(one.bearer, { password: admin.password });
    expect(done.status).to.equal(204);
    expect(done.text).to.equal('');

    expect((await setup(one.bearer)).status).to.equal(200);
    const other = await setup(two.bearer);
    expect(other.status, 'another session of the same admin has no mark').to.equal(403);
    expect(other.body).to.deep.equal(REAUTH_REQUIRED);

    const { redis, config } = t.container.cradle;
    const ttl = await redis.ttl(redisKey(config, 'reauth', sessionIdOf(one.access_token)));
    expect(ttl).to.be.within(REAUTH_TTL_SECONDS - 10, REAUTH_TTL_SECONDS);
    expect(REAUTH_TTL_SECONDS).to.equal(300);
    // Gone (as when it expires): refused again.
    await redis.del(redisKey(config, 'reauth', sessionIdOf(one.access_token)));
    expect((await setup(one.bearer)).status).to.equal(403);

    const actions = (await t.container.cradle.db('audit_logs').where({ admin_id: admin.id })).map((row: { action: string }) => row.action);
    expect(actions).to.include('auth.reauthenticated');
  });

  it('when the password is wrong, then it is 401 and counts against the account lock-out shared with change-password', async () => {
    const admin = await createAdmin(t.container);
    const session = await signIn(t, admin.login, admin.password);
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const res = await reauth(session.bearer, { password: `wrong-password-${attempt}` });
      expect(res.status, `attempt ${attempt}`).to.equal(401);
      expect(res.body).to.deep.equal({ detail: 'Invalid credentials' });
    }
    const locked = await reauth(session.bearer, { password: admin.password });
    expect(locked.status, 'locked even with the right password').to.equal(429);
    expect(locked.headers['retry-after']).to.match(/^\d+$/);
    expect((await setup(session.bearer)).status, 'no mark was set').to.equal(403);
    const changePassword = await t.http
      .post('/api/v1/auth/change-password')
      .set(session.bearer)
      .send({ current_password: admin.password, new_password: 'brand-new-pass-1' });
    expect(changePassword.status, 'one budget per account').to.equal(429);
    const refusals = await t.container.cradle.db('audit_logs').where({ action: 'auth.reauth_refused' });
    expect(refusals).to.have.length(10);
    expect(JSON.stringify(refusals)).not.to.include('wrong-password');
  });

  it('when the body is not a password, then it is 422, and without credentials 401', async () => {
    const admin = await createAdmin(t.container);
    const session = await signIn(t, admin.login, admin.password);
    expect((await reauth(session.bearer, {})).status).to.equal(422);
    expect((await reauth(session.bearer, { password: 'x'.repeat(73) })).status).to.equal(422);
    expect((await t.http.post('/api/v1/2fa/reauth').send({ password: admin.password })).status).to.equal(401);
  });

  it('when the OpenAPI document is read, then every sensitive operation says it needs re-authentication', async () => {
    const doc = (await t.http.get('/openapi.json')).body as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const sensitive = [
      ['/api/v1/2fa/setup', 'post'],
      ['/api/v1/oauth/github/callback', 'post'],
      ['/api/v1/oauth/telegram/callback', 'post'],
      ['/api/v1/oauth/{provider}', 'delete'],
    ] as const;
    for (const [path, method] of sensitive) {
      const op = doc.paths[path]?.[method] as { 'x-reauth'?: boolean; responses: Record<string, { description: string }> };
      expect(op['x-reauth'], path).to.equal(true);
      expect(op.responses['403']?.description, path).to.match(/Re-authentication required/);
    }
    expect(doc.paths['/api/v1/2fa/reauth']?.post).to.have.property('requestBody');
    expect(doc.paths['/api/v1/auth/me']?.get).not.to.have.property('x-reauth');
  });
});

import { expect } from 'chai';
import { generate, generateSecret } from 'otplib';
import { encryptSecret } from '../../../src/shared/secrets';
import { signIn } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

const BAD_TOKEN = { detail: 'Invalid or expired token' };

/**
 * Suspected S2: a tfa token (the first half of a 2FA login) was stateless for its 5 minutes, so
 * someone with the old password could finish a login after the owner changed it or logged out
 * everywhere. Now every "end every session" also ends the tfa tokens issued before it.
 */
describe('two-factor: tfa tokens die with the sessions', function () {
  this.timeout(30_000);
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  /** An admin with 2FA on (secret written as enabling would), and one signed-in session of theirs. */
  async function withTwoFactor() {
    const admin = await createAdmin(t.container, { role: 'super_admin' });
    const owner = await signIn(t, admin.login, admin.password);
    const secret = generateSecret();
    await t.container.cradle
      .db('admin_users')
      .where({ id: admin.id })
      .update({ totp_enabled: true, totp_secret_encrypted: encryptSecret(secret, t.container.cradle.config.dataEncryptionKey) });
    return { admin, owner, secret };
  }
  const firstStep = async (admin: { login: string; password: string }) => {
    const res = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(res.body.requires_2fa).to.equal(true);
    return { Authorization: `Bearer ${res.body.tfa_token as string}` };
  };
  const complete = async (tfa: Record<string, string>, secret: string) =>
    t.http
      .post('/api/v1/2fa/complete')
      .set(tfa)
      .send({ code: await generate({ secret }) });

  const remedies: Array<[string, (ctx: Awaited<ReturnType<typeof withTwoFactor>>) => Promise<number>]> = [
    [
      'change-password',
      async ({ admin, owner }) =>
        (await t.http.post('/api/v1/auth/change-password').set(owner.bearer).send({ current_password: admin.password, new_password: 'brand-new-pass-1' })).status,
    ],
    ['logout-all', async ({ owner }) => (await t.http.post('/api/v1/auth/logout-all').set(owner.bearer)).status],
    [
      'revoke-sessions by another admin',
      async ({ admin }) => {
        const boss = await createAdmin(t.container, { role: 'super_admin' });
        const bossSession = await signIn(t, boss.login, boss.password);
        return (await t.http.post(`/api/v1/admins/${admin.id}/revoke-sessions`).set(bossSession.bearer)).status;
      },
    ],
  ];
  for (const [remedy, apply] of remedies) {
    it(`when ${remedy} happens after a tfa token was issued, then that token cannot finish the login`, async () => {
      const ctx = await withTwoFactor();
      const tfa = await firstStep(ctx.admin);
      expect(await apply(ctx)).to.equal(204);

      const finished = await complete(tfa, ctx.secret);
      expect(finished.status).to.equal(401);
      expect(finished.body).to.deep.equal(BAD_TOKEN);
      expect(finished.headers['set-cookie']).to.equal(undefined);
    });
  }

  it('when a tfa token is issued after the revocation, then it finishes the login as before', async () => {
    const ctx = await withTwoFactor();
    expect((await t.http.post('/api/v1/auth/logout-all').set(ctx.owner.bearer)).status).to.equal(204);
    const finished = await complete(await firstStep(ctx.admin), ctx.secret);
    expect(finished.status, JSON.stringify(finished.body)).to.equal(200);
    expect(finished.body.access_token).to.be.a('string');
  });
});

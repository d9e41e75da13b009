import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { generate, generateSecret } from 'otplib';
import { resealSecrets } from '../../../src/cli/reseal-secrets';
import { decryptSecret, encryptSecret, isSealedWith } from '../../../src/shared/secrets';
import { signIn } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

const OLD_SECRET = 'the-old-jwt-secret-of-at-least-32-bytes!!';
const NEW_SECRET = 'the-new-jwt-secret-of-at-least-32-bytes!!';
const OLD_KEY = randomBytes(32);
const NEW_KEY = randomBytes(32);

/** Rotating JWT_SECRET and DATA_ENCRYPTION_KEY without signing everyone out or losing a secret. */
describe('key rotation', function () {
  this.timeout(60_000);
  const apps: TestApp[] = [];
  const app = async (env: Record<string, string>) => {
    const made = await createTestApp(env);
    apps.push(made);
    return made;
  };
  after(async () => {
    for (const made of apps) await made.close();
  });

  describe('JWT_SECRET', () => {
    let before: TestApp;
    let during: TestApp;
    let afterwards: TestApp;
    beforeEach(async () => {
      if (!before) {
        before = await app({ JWT_SECRET: OLD_SECRET });
        during = await app({ JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRETS: OLD_SECRET });
        afterwards = await app({ JWT_SECRET: NEW_SECRET });
      }
    });
    const me = (t: TestApp, token: string) => t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);

    it('when the secret is rotated with the old one listed as previous, then tokens of either key are accepted, new ones carry the new key id, and dropping the old one refuses its tokens', async () => {
      const admin = await createAdmin(before.container);
      const old = await signIn(before, admin.login, admin.password);
      const fresh = await signIn(during, admin.login, admin.password);
      const oldToken = old.bearer.Authorization.slice('Bearer '.length);
      const freshToken = fresh.bearer.Authorization.slice('Bearer '.length);

      expect((await me(during, oldToken)).status).to.equal(200);
      expect((await me(during, freshToken)).status).to.equal(200);
      const oldKid = jwt.decode(oldToken, { complete: true })!.header.kid;
      const freshKid = jwt.decode(freshToken, { complete: true })!.header.kid;
      expect(freshKid).to.match(/^[0-9a-f]{16}$/).and.not.equal(oldKid);
      expect(NEW_SECRET).to.not.include(freshKid!);

      expect((await me(afterwards, oldToken)).body).to.deep.equal({ detail: 'Invalid or expired token' });
      expect((await me(afterwards, freshToken)).status).to.equal(200);
      expect((await me(before, freshToken)).status, 'the old process does not know the new key').to.equal(401);
    });

    it('when a token names an unknown key, or none while signed with a previous key, then it is refused', async () => {
      const admin = await createAdmin(during.container);
      const session = await signIn(during, admin.login, admin.password);
      const claims = jwt.decode(session.bearer.Authorization.slice(7)) as Record<string, unknown>;
      const { config } = during.container.cradle;
      const options = { algorithm: 'HS256' as const };
      const unknownKid = jwt.sign(claims, NEW_SECRET, { ...options, keyid: 'ffffffffffffffff' });
      const previousWithoutKid = jwt.sign(claims, OLD_SECRET, options);
      const currentWithoutKid = jwt.sign(claims, NEW_SECRET, options);
      expect(config.jwt.previousSecrets).to.deep.equal([OLD_SECRET]);
      expect((await me(during, unknownKid)).status).to.equal(401);
      expect((await me(during, previousWithoutKid)).status).to.equal(401);
      expect((await me(during, currentWithoutKid)).status, 'tokens from before key ids, signed with the current key').to.equal(200);
    });

    it('when a previous secret is too short, then the configuration is refused naming the key', async () => {
      let failure: unknown;
      await createTestApp({ JWT_PREVIOUS_SECRETS: `${OLD_SECRET},short` }).catch((error: unknown) => (failure = error));
      expect(String(failure)).to.contain('JWT_PREVIOUS_SECRETS').and.not.contain(OLD_SECRET);
    });
  });

  describe('DATA_ENCRYPTION_KEY', () => {
    it('when the key is rotated, then secrets sealed with the old one still open; resealing moves them to the new one, after which the old key can go', async () => {
      const rotating = await app({ DATA_ENCRYPTION_KEY: NEW_KEY.toString('base64'), DATA_ENCRYPTION_PREVIOUS_KEYS: OLD_KEY.toString('base64') });
      const { db, config } = rotating.container.cradle;
      const admin = await createAdmin(rotating.container);
      const totp = generateSecret();
      await db('admin_users').where({ id: admin.id }).update({ totp_enabled: true, totp_secret_encrypted: encryptSecret(totp, OLD_KEY) });

      // 2FA sign-in works with the secret sealed under the previous key.
      const first = await rotating.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
      const completed = await rotating.http
        .post('/api/v1/2fa/complete')
        .set('Authorization', `Bearer ${first.body.tfa_token as string}`)
        .send({ code: await generate({ secret: totp }) });
      expect(completed.status, JSON.stringify(completed.body)).to.equal(200);

      expect(await resealSecrets(db, config)).to.be.at.least(1);
      const { totp_secret_encrypted: resealed } = await db('admin_users').where({ id: admin.id }).first();
      expect(isSealedWith(resealed, NEW_KEY)).to.equal(true);
      expect(decryptSecret(resealed, NEW_KEY)).to.equal(totp);
      expect(await resealSecrets(db, config), 'a second run finds nothing to do').to.equal(0);
      expect(() => decryptSecret(encryptSecret('x', OLD_KEY), [NEW_KEY])).to.throw('No key opens this secret');
    });
  });
});

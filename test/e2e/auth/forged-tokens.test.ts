import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { signIn } from '../../support/auth-helpers';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('auth: tokens that must be refused', () => {
  let t: TestApp;
  let adminId: string;
  let sessionId: string;
  let refreshToken: string;
  let secret: string;
  let issuer: string;
  let audience: string;

  before(async () => {
    t = await createTestApp();
    await t.reset();
    const admin = await createAdmin(t.container, { role: 'super_admin' });
    const session = await signIn(t, admin.login, admin.password);
    adminId = admin.id;
    refreshToken = session.refresh_token;
    sessionId = (jwt.decode(session.access_token) as { sid: string }).sid;
    ({ secret, issuer, audience } = t.container.cradle.config.jwt);
  });
  after(() => t.close());

  const claims = (extra: object = {}) => ({ sub: adminId, sid: sessionId, typ: 'access', jti: 'j1', ...extra });
  const sign = (payload: object, options: jwt.SignOptions = {}, key = secret) =>
    jwt.sign(payload, key, { algorithm: 'HS256', issuer, audience, notBefore: 0, ...('exp' in payload ? {} : { expiresIn: 60 }), ...options });

  const refused = async (token: string, why: string) => {
    const response = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`);
    expect(response.status, why).to.equal(401);
    expect(response.body, why).to.deep.equal({ detail: 'Invalid or expired token' });
    expect(response.headers['www-authenticate'], why).to.equal('Bearer');
  };

  it('when a correctly made token is presented, then it is accepted (the refusals below are not accidents)', async () => {
    const response = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${sign(claims())}`);
    expect(response.status).to.equal(200);
  });

  it('when a token is signed with another key, then it is refused', async () => {
    await refused(sign(claims(), {}, 'another-secret-that-is-at-least-32-bytes!!'), 'forged');
  });

  it('when a token has expired, then it is refused', async () => {
    await refused(sign(claims({ exp: Math.floor(Date.now() / 1000) - 10 })), 'expired');
  });

  it('when a token says alg none and carries no signature, then it is refused', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), iss: issuer, aud: audience, exp: 9999999999, nbf: 0, iat: 1 })}.`;
    await refused(unsigned, 'alg none');
  });

  it('when a token is signed with HS512 using the right key, then it is refused (HS256 only)', async () => {
    await refused(jwt.sign(claims(), secret, { algorithm: 'HS512', issuer, audience, expiresIn: 60, notBefore: 0 }), 'HS512');
  });

  it('when a token is for another audience or issuer, then it is refused', async () => {
    await refused(sign(claims(), { audience: 'someone-else' }), 'audience');
    await refused(sign(claims(), { issuer: 'someone-else' }), 'issuer');
  });

  it('when a token is not yet valid (nbf in the future), then it is refused', async () => {
    await refused(sign(claims(), { notBefore: 600 }), 'nbf');
  });

  it('when a token lacks typ, jti or the session, or is a 2FA token, then it is refused', async () => {
    await refused(sign({ sub: adminId, sid: sessionId, jti: 'x' }), 'no typ');
    await refused(sign({ sub: adminId, sid: sessionId, typ: 'access' }), 'no jti');
    await refused(sign({ sub: adminId, typ: 'access', jti: 'x' }), 'no session');
    await refused(sign(claims({ typ: 'tfa' })), 'tfa as access');
  });

  it('when the refresh token is used as an access token, then it is refused', async () => {
    await refused(refreshToken, 'refresh as access');
  });

  it('when the Authorization header is not a bearer token, then it is refused', async () => {
    for (const header of ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer', 'Bearer a b', 'token abc']) {
      const response = await t.http.get('/api/v1/auth/me').set('Authorization', header);
      expect(response.status, header).to.equal(401);
    }
  });

  it('when an access token is presented to /2fa/complete, then it is refused', async () => {
    const response = await t.http
      .post('/api/v1/2fa/complete')
      .set('Authorization', `Bearer ${sign(claims())}`)
      .send({ code: '123456' });
    expect(response.status).to.equal(401);
  });
});

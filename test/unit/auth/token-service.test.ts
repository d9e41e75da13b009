import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { loadConfig } from '../../../src/config';
import { TokenService } from '../../../src/modules/auth/token.service';
import { InvalidTokenError } from '../../../src/shared/errors';
import { testEnv } from '../../support/env';

/**
 * TokenService holds JWT_SECRET as a key object (jsonwebtoken re-parses a string on every call).
 * The key bytes must stay the string's UTF-8, or a deploy would log every admin out and a
 * rollback would do it again: tokens signed with the plain string and tokens it signs must be
 * interchangeable.
 */
describe('TokenService signing key', () => {
  const config = loadConfig(testEnv({ JWT_SECRET: 'ünïcode-secret-of-at-least-32-bytes-for-tests!' }));
  const { secret, issuer, audience } = config.jwt;
  const tokens = new TokenService({ config });
  const claims = { sid: 'session-1', typ: 'access' };
  const signWith = (key: string) =>
    jwt.sign(claims, key, { algorithm: 'HS256', subject: 'admin-1', issuer, audience, expiresIn: 60, notBefore: 0, jwtid: 'j1' });

  it('when a token was signed with JWT_SECRET as a string, then it verifies', () => {
    expect(tokens.verifyAccessToken(signWith(secret))).to.include({ adminId: 'admin-1', sessionId: 'session-1' });
  });

  it('when the service signs a token, then the string JWT_SECRET verifies it', () => {
    const payload = jwt.verify(tokens.issueAccessToken('admin-2', 'session-2'), secret, { algorithms: ['HS256'], issuer, audience }) as jwt.JwtPayload;
    expect(payload).to.include({ sub: 'admin-2', sid: 'session-2', typ: 'access' });
  });

  it('when a token was signed with another secret, then it is refused', () => {
    expect(() => tokens.verifyAccessToken(signWith(`${secret}-other`))).to.throw(InvalidTokenError);
  });
});

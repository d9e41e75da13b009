import { createHash, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import type { Config } from '../../config';
import { InvalidTokenError } from '../../shared/errors';

/**
 * Signed, short-lived JWTs. `typ` separates their uses: an access token cannot complete a 2FA
 * login and a 2FA token cannot call the API. Only HS256 is accepted, whatever a header claims.
 */
export type TokenUse = 'access' | 'tfa';

export interface AccessClaims {
  adminId: string;
  sessionId: string;
  issuedAt: number;
  expiresAt: number;
}

export interface TwoFactorClaims {
  adminId: string;
  rememberMe: boolean;
  tokenId: string;
  /** Milliseconds: compared with the instant of the admin's last "end every session". */
  issuedAtMs: number;
  expiresAt: number;
}

const ALGORITHM = 'HS256';
/** Names a signing key without revealing it: the first 16 hex digits of its SHA-256. */
const keyIdOf = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 16);
const TWO_FACTOR_TTL_SECONDS = 300;

export class TokenService {
  private readonly jwtConfig: Config['jwt'];
  /**
   * JWT_SECRET as a key object, made once. Given a string, jsonwebtoken first tries to parse it as
   * a PEM public key (createPublicKey, which throws) on every sign and verify, and every
   * authenticated request verifies: 0.6 ms per verify on the development machine, 20 µs with the
   * key object (docs/PERFORMANCE.md). The key bytes are the same (the string's UTF-8), so tokens
   * signed either way verify either way.
   */
  private readonly key: KeyObject;
  /** The signing key's id, in every token's `kid` header. */
  private readonly keyId: string;
  /** Every key a token may name: the current one and those of JWT_PREVIOUS_SECRETS (rotation). */
  private readonly keysById: ReadonlyMap<string, KeyObject>;

  constructor({ config }: { config: Config }) {
    this.jwtConfig = config.jwt;
    this.key = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
    this.keyId = keyIdOf(config.jwt.secret);
    this.keysById = new Map([config.jwt.secret, ...config.jwt.previousSecrets].map((secret) => [keyIdOf(secret), createSecretKey(Buffer.from(secret, 'utf8'))]));
  }

  get accessTtlSeconds(): number {
    return this.jwtConfig.accessTtlSeconds;
  }

  issueAccessToken(adminId: string, sessionId: string): string {
    return this.sign({ sid: sessionId }, adminId, 'access', this.jwtConfig.accessTtlSeconds);
  }

  issueTwoFactorToken(adminId: string, rememberMe: boolean): { token: string; expiresIn: number } {
    // `iat` counts whole seconds; a revocation in the same second must still be able to end it.
    const claims = { rmb: rememberMe, iat_ms: Date.now() };
    return { token: this.sign(claims, adminId, 'tfa', TWO_FACTOR_TTL_SECONDS), expiresIn: TWO_FACTOR_TTL_SECONDS };
  }

  verifyAccessToken(token: string): AccessClaims {
    const payload = this.verify(token, 'access');
    if (typeof payload.sid !== 'string') throw new InvalidTokenError('access token without session');
    return { adminId: payload.sub as string, sessionId: payload.sid, issuedAt: payload.iat as number, expiresAt: payload.exp as number };
  }

  verifyTwoFactorToken(token: string): TwoFactorClaims {
    const payload = this.verify(token, 'tfa');
    if (typeof payload.iat_ms !== 'number') throw new InvalidTokenError('tfa token without iat_ms');
    return {
      adminId: payload.sub as string,
      rememberMe: payload.rmb === true,
      tokenId: payload.jti as string,
      issuedAtMs: payload.iat_ms,
      expiresAt: payload.exp as number,
    };
  }

  private sign(claims: Record<string, unknown>, subject: string, use: TokenUse, ttlSeconds: number): string {
    return jwt.sign({ ...claims, typ: use }, this.key, {
      algorithm: ALGORITHM,
      keyid: this.keyId,
      subject,
      issuer: this.jwtConfig.issuer,
      audience: this.jwtConfig.audience,
      expiresIn: ttlSeconds,
      notBefore: 0,
      jwtid: randomUUID(),
    });
  }

  private verify(token: string, use: TokenUse): JwtPayload {
    let payload: string | JwtPayload;
    try {
      // The key the token names; a token from before key ids is tried with the current key.
      const kid = jwt.decode(token, { complete: true })?.header.kid;
      const key = kid === undefined ? this.key : this.keysById.get(kid);
      if (!key) throw new Error('unknown key id');
      payload = jwt.verify(token, key, {
        algorithms: [ALGORITHM],
        issuer: this.jwtConfig.issuer,
        audience: this.jwtConfig.audience,
      });
    } catch (error) {
      throw new InvalidTokenError('token rejected', { cause: error });
    }
    const complete =
      typeof payload === 'object' &&
      payload.typ === use &&
      typeof payload.sub === 'string' &&
      typeof payload.jti === 'string' &&
      typeof payload.exp === 'number' &&
      typeof payload.nbf === 'number' &&
      typeof payload.iat === 'number';
    if (!complete) throw new InvalidTokenError(`not a complete ${use} token`);
    return payload as JwtPayload;
  }
}

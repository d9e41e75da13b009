import type { Request } from 'express';
import type { Config } from '../../config';
import { InvalidTokenError } from '../../shared/errors';
import type { AdminPrincipal, ApiKeyPrincipal, Principal, RequestAuthenticator } from '../../http/access-guard';
import { looksLikeApiKey } from '../api-keys/api-key-format';
import type { ApiKeyVerifier } from '../api-keys/api-key.verifier';
import { ACCESS_COOKIE, readCookie } from './auth.cookies';
import { assertSameSiteWrite } from './csrf';
import type { PrincipalRepository } from './principal.repository';
import type { TokenService } from './token.service';
import type { Role } from '../../shared/permissions';

export type TokenCheck = { valid: false } | { valid: true; sub: string; role: Role; exp: number };

/** The token of an `Authorization: Bearer <token>` header; anything else there is refused. */
export function bearerTokenOf(req: Request): string {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(req.get('authorization')?.trim() ?? '');
  if (!match?.[1]) throw new InvalidTokenError('malformed or missing Authorization header');
  return match[1];
}

/**
 * Bearer header or access cookie -> Principal. The token's signature is not enough: the admin must
 * still be active and the token's session live, checked against the database on every request,
 * so deactivation and revocation take effect on the very next request. A bearer token starting
 * with `cvpn_` is an API key, looked up by its hash on every request the same way (revoked or
 * expired: 401); it is never tried as a JWT, nor a JWT as a key.
 */
export class Authenticator implements RequestAuthenticator {
  private readonly tokenService: TokenService;
  private readonly principalRepository: PrincipalRepository;
  private readonly config: Config;
  private readonly apiKeyVerifier: ApiKeyVerifier;

  constructor(deps: { tokenService: TokenService; principalRepository: PrincipalRepository; config: Config; apiKeyVerifier: ApiKeyVerifier }) {
    this.tokenService = deps.tokenService;
    this.principalRepository = deps.principalRepository;
    this.config = deps.config;
    this.apiKeyVerifier = deps.apiKeyVerifier;
  }

  async authenticate(req: Request): Promise<Principal> {
    const { token, via } = this.credentials(req);
    if (via === 'bearer' && looksLikeApiKey(token)) return this.liveApiKey(req);
    return (await this.liveToken(token, via)).principal;
  }

  private async liveApiKey(req: Request): Promise<ApiKeyPrincipal> {
    const key = await this.apiKeyVerifier.verify(req);
    if (!key) throw new InvalidTokenError('API key unknown, revoked or expired');
    return { kind: 'api_key', apiKeyId: key.id, prefix: `cvpn_${key.public_id}`, name: key.name, role: key.role, via: 'api_key' };
  }

  /** For other services (`POST /auth/verify-token`): the same checks, as an answer instead of a refusal. */
  async check(token: string): Promise<TokenCheck> {
    try {
      const { principal, expiresAt } = await this.liveToken(token, 'bearer');
      return { valid: true, sub: principal.adminId, role: principal.role, exp: expiresAt };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { valid: false };
      throw error;
    }
  }

  private async liveToken(token: string, via: AdminPrincipal['via']): Promise<{ principal: AdminPrincipal; expiresAt: number }> {
    const claims = this.tokenService.verifyAccessToken(token);
    const role = await this.principalRepository.liveRole(claims.adminId, claims.sessionId);
    if (!role) throw new InvalidTokenError('session ended or account inactive');
    return { principal: { kind: 'admin', adminId: claims.adminId, role, sessionId: claims.sessionId, via }, expiresAt: claims.expiresAt };
  }

  private credentials(req: Request): { token: string; via: AdminPrincipal['via'] } {
    if (req.get('authorization') !== undefined) return { token: bearerTokenOf(req), via: 'bearer' };
    const cookie = readCookie(req, ACCESS_COOKIE);
    if (!cookie) throw new InvalidTokenError('no credentials');
    assertSameSiteWrite(req, this.config);
    return { token: cookie, via: 'cookie' };
  }
}

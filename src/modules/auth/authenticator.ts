import type { Request } from 'express';
import type { Config } from '../../config';
import { InvalidTokenError } from '../../shared/errors';
import type { Principal, RequestAuthenticator } from '../../http/access-guard';
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
 * so deactivation and revocation take effect on the very next request.
 */
export class Authenticator implements RequestAuthenticator {
  private readonly tokenService: TokenService;
  private readonly principalRepository: PrincipalRepository;
  private readonly config: Config;

  constructor(deps: { tokenService: TokenService; principalRepository: PrincipalRepository; config: Config }) {
    this.tokenService = deps.tokenService;
    this.principalRepository = deps.principalRepository;
    this.config = deps.config;
  }

  async authenticate(req: Request): Promise<Principal> {
    const { token, via } = this.credentials(req);
    return (await this.liveToken(token, via)).principal;
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

  private async liveToken(token: string, via: Principal['via']): Promise<{ principal: Principal; expiresAt: number }> {
    const claims = this.tokenService.verifyAccessToken(token);
    const state = await this.principalRepository.load(claims.adminId, claims.sessionId);
    if (!state || !state.is_active || !state.session_live) throw new InvalidTokenError('session ended or account inactive');
    return { principal: { adminId: claims.adminId, role: state.role, sessionId: claims.sessionId, via }, expiresAt: claims.expiresAt };
  }

  private credentials(req: Request): { token: string; via: Principal['via'] } {
    if (req.get('authorization') !== undefined) return { token: bearerTokenOf(req), via: 'bearer' };
    const cookie = readCookie(req, ACCESS_COOKIE);
    if (!cookie) throw new InvalidTokenError('no credentials');
    assertSameSiteWrite(req, this.config);
    return { token: cookie, via: 'cookie' };
  }
}

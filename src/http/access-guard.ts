import type { Request, RequestHandler } from 'express';
import { PermissionDeniedError, ReauthRequiredError } from '../shared/errors';
import { hasPermission, type Role } from '../shared/permissions';
import { requiredPermission, type Access } from './route-definition';

/** The admin a request acts as, once its credentials (access token or cookie) were checked. */
export interface AdminPrincipal {
  readonly kind: 'admin';
  readonly adminId: string;
  readonly role: Role;
  /** The login session (refresh-token family) the credentials belong to. */
  readonly sessionId: string;
  readonly via: 'bearer' | 'cookie';
}

/** A service acting with an API key: a role, but no admin account and no session. */
export interface ApiKeyPrincipal {
  readonly kind: 'api_key';
  readonly apiKeyId: string;
  /** `cvpn_<public id>`: names the key without its secret. */
  readonly prefix: string;
  readonly name: string;
  readonly role: Role;
  readonly via: 'api_key';
}

export type Principal = AdminPrincipal | ApiKeyPrincipal;

/** Implemented by the auth module: turns a request's credentials into a Principal or throws. */
export interface RequestAuthenticator {
  authenticate(req: Request): Promise<Principal>;
}

/** Authenticates the request and makes the caller known to the route, the logs and the audit. */
export async function identifyCaller(req: Request): Promise<Principal> {
  const principal = await req.container.cradle.authenticator.authenticate(req);
  req.principal = principal;
  if (principal.kind === 'admin') req.context.adminId = principal.adminId;
  else req.context.apiKeyId = principal.apiKeyId;
  return principal;
}

/**
 * The admin behind a principal, for the routes about one's own account and session (`/auth/me`,
 * sessions, password, 2FA, linked accounts): an API key has neither, so it is refused there (403).
 */
export function adminOf(principal: Principal): AdminPrincipal {
  if (principal.kind === 'api_key') throw new PermissionDeniedError('an API key has no admin account or session');
  return principal;
}

/**
 * Refuses (403 "Re-authentication required") unless the caller's session re-authenticated
 * recently: for routes declared `reauth: true`, and for handlers whose proof may be the mark.
 */
export async function requireRecentReauth(req: Request, principal: Principal): Promise<void> {
  // A key has no session to re-authenticate: sensitive steps are for a person who just proved it.
  if (principal.kind === 'api_key') throw new ReauthRequiredError('an API key cannot re-authenticate');
  await req.container.cradle.reauthMarks.assertRecent(principal.sessionId);
}

/**
 * Enforces a route's declared access: authentication first, then the permission matrix, then
 * (sensitive steps) the session's re-authentication mark.
 */
export function accessGuard(access: Access, reauth = false): RequestHandler | null {
  if (access === 'public') {
    if (reauth) throw new Error('a public route cannot require re-authentication');
    return null;
  }
  return async (req, _res, next) => {
    const principal = await identifyCaller(req);
    const permission = requiredPermission(access);
    if (permission && !hasPermission(principal.role, permission)) {
      throw new PermissionDeniedError(`missing ${permission}`);
    }
    if (access === 'authenticated') adminOf(principal);
    if (reauth) await requireRecentReauth(req, principal);
    next();
  };
}

/**
 * The authenticated admin of a guarded route (the guard ran, so it is there). Routes reading it
 * act on an admin account; an API key reaching one is refused (403) rather than acting as nobody.
 */
export function principalOf(req: Request): AdminPrincipal {
  if (!req.principal) throw new Error('principalOf() used on a route without an access guard');
  return adminOf(req.principal);
}

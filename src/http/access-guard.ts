import type { Request, RequestHandler } from 'express';
import { PermissionDeniedError } from '../shared/errors';
import { hasPermission, type Role } from '../shared/permissions';
import type { Access } from './route-definition';

/** The admin a request acts as, once its credentials were checked. */
export interface Principal {
  readonly adminId: string;
  readonly role: Role;
  /** The login session (refresh-token family) the credentials belong to. */
  readonly sessionId: string;
  readonly via: 'bearer' | 'cookie';
}

/** Implemented by the auth module: turns a request's credentials into a Principal or throws. */
export interface RequestAuthenticator {
  authenticate(req: Request): Promise<Principal>;
}

/** Authenticates the request and makes the caller known to the route, the logs and the audit. */
export async function identifyCaller(req: Request): Promise<Principal> {
  const principal = await req.container.cradle.authenticator.authenticate(req);
  req.principal = principal;
  req.context.adminId = principal.adminId;
  return principal;
}

/**
 * Refuses (403 "Re-authentication required") unless the caller's session re-authenticated
 * recently: for routes declared `reauth: true`, and for handlers whose proof may be the mark.
 */
export async function requireRecentReauth(req: Request, principal: Principal): Promise<void> {
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
    if (access !== 'authenticated' && !hasPermission(principal.role, access)) {
      throw new PermissionDeniedError(`missing ${access}`);
    }
    if (reauth) await requireRecentReauth(req, principal);
    next();
  };
}

/** The authenticated admin of a guarded route (the guard ran, so it is there). */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw new Error('principalOf() used on a route without an access guard');
  return req.principal;
}

import Joi from 'joi';
import type { Request } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import { InvalidTokenError, NotFoundError } from '../../shared/errors';
import { clearSessionCookies, readCookie, REFRESH_COOKIE } from './auth.cookies';
import { bearerTokenOf } from './authenticator';
import { sendLoginResult, sendTokens } from './login-response';
import { assertSameSiteWrite } from './csrf';
import {
  adminSchema,
  changePasswordBody,
  codeBody,
  loginBody,
  loginResultSchema,
  refreshBody,
  sessionIdParams,
  sessionSchema,
  tokenPairSchema,
  verifyTokenBody,
  verifyTokenResultSchema,
} from './auth.schemas';

const tags = ['auth'];

/** Refresh and logout take the token from the body, or else from the cookie (then with the CSRF rule). */
function presentedRefreshToken(req: Request): string {
  const fromBody = (req.body as { refresh_token?: string }).refresh_token;
  if (fromBody) return fromBody;
  const fromCookie = readCookie(req, REFRESH_COOKIE);
  if (!fromCookie) throw new InvalidTokenError('no refresh token');
  assertSameSiteWrite(req, req.container.cradle.config);
  return fromCookie;
}

const meRoute = (path: string, summary: string): RouteDefinition => ({
  method: 'get',
  path,
  summary,
  tags,
  access: 'authenticated',
  responses: { 200: { description: 'The signed-in admin', schema: adminSchema } },
  handler: async (req, res) => {
    res.json(await req.container.cradle.authService.me(principalOf(req).adminId));
  },
});

export const authRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/auth/login',
    summary: 'Sign in with login or email and password (and a TOTP code when 2FA is on)',
    tags,
    access: 'public',
    credentialEndpoint: true,
    request: { body: loginBody },
    responses: {
      200: { description: 'Tokens (also set as cookies), or requires_2fa with a tfa_token', schema: loginResultSchema },
      401: { description: 'Invalid credentials' },
      429: { description: 'Too many requests or too many failures for this login' },
      503: { description: 'Password hashing saturated or Redis unavailable' },
    },
    handler: async (req, res) => {
      sendLoginResult(req, res, await req.container.cradle.authService.login(req.body));
    },
  },
  {
    method: 'post',
    path: '/2fa/complete',
    summary: 'Second step of a 2FA login: Authorization: Bearer <tfa_token> and a code',
    tags: ['two-factor'],
    access: 'public',
    credentialEndpoint: true,
    request: { body: codeBody },
    responses: { 200: { description: 'Tokens, as login', schema: tokenPairSchema }, 401: { description: 'Invalid token or code' } },
    handler: async (req, res) => {
      const { code } = req.body as { code: string };
      sendTokens(req, res, await req.container.cradle.authService.completeTwoFactor(bearerTokenOf(req), code));
    },
  },
  {
    method: 'post',
    path: '/auth/refresh',
    summary: 'Spend a refresh token for a new pair (body, or the refresh cookie with body {})',
    tags,
    access: 'public',
    credentialEndpoint: true,
    request: { body: refreshBody },
    responses: { 200: { description: 'New tokens', schema: tokenPairSchema }, 401: { description: 'Invalid, spent or expired token' } },
    handler: async (req, res) => {
      sendTokens(req, res, await req.container.cradle.authService.refresh(presentedRefreshToken(req)));
    },
  },
  {
    method: 'post',
    path: '/auth/logout',
    summary: 'End the session of a refresh token (body, or the refresh cookie with no body at all) and clear the cookies',
    tags,
    access: 'public',
    request: { body: refreshBody },
    responses: { 204: { description: 'Signed out' } },
    handler: async (req, res) => {
      await req.container.cradle.sessionService.endByRefreshToken(presentedRefreshToken(req));
      clearSessionCookies(res, req.container.cradle.config);
      res.status(204).end();
    },
  },
  {
    method: 'post',
    path: '/auth/logout-all',
    summary: 'End every session of the caller, every half-done 2FA login, and remove every linked OAuth account',
    tags,
    access: 'authenticated',
    responses: { 204: { description: 'Every session ended' } },
    handler: async (req, res) => {
      await req.container.cradle.sessionService.endAll(principalOf(req).adminId, 'logout_all');
      clearSessionCookies(res, req.container.cradle.config);
      res.status(204).end();
    },
  },
  meRoute('/auth/me', 'The signed-in admin'),
  meRoute('/auth/session', 'The signed-in admin, or 401: what a browser asks on load'),
  {
    method: 'get',
    path: '/auth/sessions',
    summary: "The caller's live sessions",
    tags,
    access: 'authenticated',
    responses: { 200: { description: 'One entry per login session', schema: Joi.array().items(sessionSchema) } },
    handler: async (req, res) => {
      const principal = principalOf(req);
      const sessions = await req.container.cradle.sessionService.list(principal.adminId);
      res.json(sessions.map((session) => ({ ...session, current: session.id === principal.sessionId })));
    },
  },
  {
    method: 'delete',
    path: '/auth/sessions/:id',
    summary: 'End one of the caller’s sessions',
    tags,
    access: 'authenticated',
    request: { params: sessionIdParams },
    responses: { 204: { description: 'Ended' }, 404: { description: 'Session not found' } },
    handler: async (req, res) => {
      const { id } = req.params as { id: string };
      if (!(await req.container.cradle.sessionService.end(principalOf(req).adminId, id))) throw new NotFoundError('Session');
      res.status(204).end();
    },
  },
  {
    method: 'post',
    path: '/auth/verify-token',
    summary: 'Check an access token (for other services)',
    tags,
    access: 'public',
    request: { body: verifyTokenBody },
    responses: { 200: { description: 'Whether the token is valid now, and whose', schema: verifyTokenResultSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.authenticator.check((req.body as { token: string }).token));
    },
  },
  {
    method: 'post',
    path: '/auth/change-password',
    summary: 'Change the caller’s password; ends every other session and removes every linked OAuth account',
    description:
      'Ends every other session, every half-done 2FA login (tfa token) and removes every linked GitHub/Telegram account ' +
      '(audited `oauth.unlinked`): a thief who held the old password or a session keeps no way in. ' +
      '`new_password_confirm` is optional; when sent it must equal `new_password` (422).',
    tags,
    access: 'authenticated',
    // It checks a password: the strict per-IP limit applies, as to login.
    credentialEndpoint: true,
    request: { body: changePasswordBody },
    responses: {
      204: { description: 'Changed' },
      401: { description: 'Current password wrong' },
      429: { description: 'Too many wrong passwords for this account' },
    },
    handler: async (req, res) => {
      const { current_password, new_password } = req.body as { current_password: string; new_password: string };
      const principal = principalOf(req);
      await req.container.cradle.authService.changePassword(principal.adminId, principal.sessionId, current_password, new_password);
      res.status(204).end();
    },
  },
];

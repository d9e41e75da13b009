import { parse } from 'cookie';
import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../../config';
import type { TokenPair } from './session.service';

/**
 * Browser sessions keep no token in JavaScript: both tokens travel as httpOnly, SameSite=Strict
 * cookies. The access cookie goes to every API path; the refresh cookie only to the auth routes.
 * Secure is set in production (development and test run over plain http).
 */
export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
const ACCESS_PATH = '/api';
const REFRESH_PATH = '/api/v1/auth';

const base = (config: Config): CookieOptions => ({ httpOnly: true, sameSite: 'strict', secure: config.isProduction });

export function setSessionCookies(res: Response, config: Config, tokens: TokenPair): void {
  const lifetime = (seconds: number) => (tokens.persistent ? { maxAge: seconds * 1000 } : {});
  res.cookie(ACCESS_COOKIE, tokens.access_token, { ...base(config), path: ACCESS_PATH, ...lifetime(tokens.expires_in) });
  res.cookie(REFRESH_COOKIE, tokens.refresh_token, { ...base(config), path: REFRESH_PATH, ...lifetime(tokens.refresh_expires_in) });
}

export function clearSessionCookies(res: Response, config: Config): void {
  res.clearCookie(ACCESS_COOKIE, { ...base(config), path: ACCESS_PATH });
  res.clearCookie(REFRESH_COOKIE, { ...base(config), path: REFRESH_PATH });
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  const value = parse(header)[name];
  return value ? value : undefined;
}

/**
 * Binds an OAuth login state to the browser that asked for it (login CSRF): a random nonce, set
 * with the state, sent back only to the OAuth sign-in routes, for the state's 10 minutes. One per
 * provider, so a GitHub and a Telegram button on one page do not undo each other.
 */
const OAUTH_NONCE_PATH = '/api/v1/auth/oauth';
export const oauthLoginNonceCookie = (provider: string): string => `oauth_login_nonce_${provider}`;

export function setOAuthLoginNonce(res: Response, config: Config, provider: string, nonce: string, ttlSeconds: number): void {
  res.cookie(oauthLoginNonceCookie(provider), nonce, { ...base(config), path: OAUTH_NONCE_PATH, maxAge: ttlSeconds * 1000 });
}

export function clearOAuthLoginNonce(res: Response, config: Config, provider: string): void {
  res.clearCookie(oauthLoginNonceCookie(provider), { ...base(config), path: OAUTH_NONCE_PATH });
}

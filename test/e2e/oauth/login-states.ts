import type supertest from 'supertest';

/**
 * What a browser keeps of `GET /oauth/{provider}/authorize` called without credentials: the login
 * state and the nonce cookie that binds it to this browser, to send back with the sign-in.
 */
const nonceCookieOfState = new Map<string, string>();

/** The state of an authorize answer; its nonce cookie is remembered for `withNonceOf`. */
export function keepLoginState(response: supertest.Response): string {
  const state = response.body.state as string;
  const raw = response.headers['set-cookie'] as unknown;
  const cookie = (Array.isArray(raw) ? (raw as string[]) : []).find((c) => c.startsWith('oauth_login_nonce_'));
  if (cookie) nonceCookieOfState.set(state, cookie.split(';')[0] as string);
  return state;
}

/** The Cookie header the asking browser would send with a sign-in using `state` (none if unknown). */
export function withNonceOf(state: unknown): Record<string, string> {
  const cookie = typeof state === 'string' ? nonceCookieOfState.get(state) : undefined;
  return cookie ? { Cookie: cookie } : {};
}

import type { TestApp } from './test-app';

export interface SignedIn {
  access_token: string;
  refresh_token: string;
  bearer: { Authorization: string };
}

/** Logs in over HTTP, as a client would, and returns the tokens. */
export async function signIn(t: TestApp, login: string, password: string): Promise<SignedIn> {
  const response = await t.http.post('/api/v1/auth/login').send({ login_or_email: login, password });
  if (response.status !== 200 || !response.body.access_token) {
    throw new Error(`login failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  const { access_token, refresh_token } = response.body as { access_token: string; refresh_token: string };
  return { access_token, refresh_token, bearer: { Authorization: `Bearer ${access_token}` } };
}

/**
 * POST /2fa/reauth as a client does before a sensitive step (2FA setup and disable, OAuth link
 * and unlink): marks the session of `auth` as recently re-authenticated.
 */
export async function reauthenticate(t: TestApp, auth: Record<string, string>, password: string, code?: string): Promise<void> {
  const response = await t.http
    .post('/api/v1/2fa/reauth')
    .set(auth)
    .send(code === undefined ? { password } : { password, code });
  if (response.status !== 204) throw new Error(`reauth failed: ${response.status} ${JSON.stringify(response.body)}`);
}

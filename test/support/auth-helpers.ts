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

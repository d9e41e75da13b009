import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local GitHub speaking the real OAuth web-flow protocol on two hosts, as GitHub does:
 * - the OAuth host (GITHUB_OAUTH_URL): POST /login/oauth/access_token with client_id,
 *   client_secret and code (JSON or form body). With `Accept: application/json` it answers JSON,
 *   otherwise form-encoded text. A wrong, spent or expired code is HTTP 200 with
 *   `{error: "bad_verification_code", error_description, error_uri}`; wrong client credentials
 *   likewise with `incorrect_client_credentials`. Codes are single use and live 10 minutes.
 * - the API host (GITHUB_API_URL): GET /user with `Authorization: Bearer <token>` (or `token <t>`)
 *   answers the user; a missing or unknown token is 401 `{"message":"Bad credentials", ...}`.
 *
 * A test plays the user approving the app with `approve(user)`, which gives the code GitHub would
 * put in the redirect. `failNext(host, mode)` makes the next request(s) to a host fail in one of
 * the ways a real upstream fails; `requests` records what arrived.
 */
export interface FakeGitHubUser {
  id: number;
  login: string;
  name?: string;
}

export type FailureMode = 'server_error' | 'malformed_json' | 'hang' | 'reset' | 'bad_user_shape';
type Host = 'oauth' | 'api';

export interface RecordedRequest {
  host: Host;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const CODE_TTL_MS = 10 * 60 * 1000;

export class FakeGitHub {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[] = [];
  private readonly codes = new Map<string, { user: FakeGitHubUser; expiresAt: number }>();
  private readonly tokens = new Map<string, FakeGitHubUser>();
  private readonly failures: Record<Host, FailureMode[]> = { oauth: [], api: [] };
  private readonly servers: Record<Host, Server>;
  private readonly hanging = new Set<ServerResponse>();

  constructor(options: { clientId?: string; clientSecret?: string } = {}) {
    this.clientId = options.clientId ?? 'test-client-id';
    this.clientSecret = options.clientSecret ?? 'test-client-secret';
    this.servers = {
      oauth: createServer((req, res) => void this.handle('oauth', req, res)),
      api: createServer((req, res) => void this.handle('api', req, res)),
    };
  }

  async start(): Promise<this> {
    await Promise.all(Object.values(this.servers).map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    return this;
  }

  get oauthUrl(): string {
    return `http://127.0.0.1:${(this.servers.oauth.address() as AddressInfo).port}`;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${(this.servers.api.address() as AddressInfo).port}`;
  }

  /** The environment an app under test needs to talk to this fake. */
  env(): Record<string, string> {
    return { GITHUB_OAUTH_URL: this.oauthUrl, GITHUB_API_URL: this.apiUrl, GITHUB_CLIENT_ID: this.clientId, GITHUB_CLIENT_SECRET: this.clientSecret };
  }

  /** The user approved the app: the code GitHub redirects back with. */
  approve(user: FakeGitHubUser): string {
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { user, expiresAt: Date.now() + CODE_TTL_MS });
    return code;
  }

  /** The next `times` requests to that host fail this way. */
  failNext(host: Host, mode: FailureMode, times = 1): void {
    for (let i = 0; i < times; i += 1) this.failures[host].push(mode);
  }

  reset(): void {
    this.codes.clear();
    this.tokens.clear();
    this.failures.oauth.length = 0;
    this.failures.api.length = 0;
    this.requests.length = 0;
    this.releaseHanging();
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    await Promise.all(
      Object.values(this.servers).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  private async handle(host: Host, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ host, method: req.method ?? '', path: url.pathname, headers: req.headers, body });

    const failure = this.failures[host].shift();
    if (failure === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (failure === 'reset') {
      req.socket.destroy();
      return;
    }
    if (failure === 'server_error') {
      res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body><h1>Unicorn!</h1></body></html>');
      return;
    }
    if (failure === 'malformed_json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token": "gho_');
      return;
    }

    if (host === 'oauth' && req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      this.accessToken(req, body, res);
      return;
    }
    if (host === 'api' && req.method === 'GET' && url.pathname === '/user') {
      this.user(req, res, failure === 'bad_user_shape');
      return;
    }
    json(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
  }

  private accessToken(req: IncomingMessage, body: string, res: ServerResponse): void {
    const params = parseParams(req, body);
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    const answer = (fields: Record<string, string>) => {
      if (wantsJson) json(res, 200, fields);
      else res.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }).end(new URLSearchParams(fields).toString());
    };

    if (params.client_id !== this.clientId || params.client_secret !== this.clientSecret) {
      answer({
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials',
      });
      return;
    }
    const grant = params.code ? this.codes.get(params.code) : undefined;
    if (params.code) this.codes.delete(params.code);
    if (!grant || grant.expiresAt < Date.now()) {
      answer({
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
        error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code',
      });
      return;
    }
    const token = `gho_${randomBytes(18).toString('base64url')}`;
    this.tokens.set(token, grant.user);
    answer({ access_token: token, token_type: 'bearer', scope: 'read:user' });
  }

  private user(req: IncomingMessage, res: ServerResponse, badShape: boolean): void {
    const match = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '');
    const user = match?.[1] ? this.tokens.get(match[1]) : undefined;
    if (!user) {
      json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
      return;
    }
    if (badShape) {
      json(res, 200, { message: 'not a user' });
      return;
    }
    json(res, 200, {
      login: user.login,
      id: user.id,
      node_id: `U_${Buffer.from(String(user.id)).toString('base64')}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      html_url: `https://github.com/${user.login}`,
      type: 'User',
      site_admin: false,
      name: user.name ?? null,
      company: null,
      blog: '',
      location: null,
      email: null,
      bio: null,
      public_repos: 3,
      followers: 1,
      following: 0,
      created_at: '2015-03-01T10:00:00Z',
      updated_at: '2026-11-01T10:00:00Z',
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** GitHub takes the token request's parameters as JSON, a form body or the query string. */
function parseParams(req: IncomingMessage, body: string): Record<string, string | undefined> {
  const query = Object.fromEntries(new URL(req.url ?? '/', 'http://fake').searchParams);
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    try {
      const parsed = JSON.parse(body) as Record<string, unknown>;
      return { ...query, ...Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, typeof value === 'string' ? value : undefined])) };
    } catch {
      return query;
    }
  }
  return { ...query, ...Object.fromEntries(new URLSearchParams(body)) };
}

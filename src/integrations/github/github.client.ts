import Joi from 'joi';
import type { Config } from '../../config';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../shared/errors';

/**
 * GitHub's OAuth web flow, server side: the authorize link, the code exchange
 * (POST {GITHUB_OAUTH_URL}/login/oauth/access_token) and the profile fetch (GET {GITHUB_API_URL}/user).
 *
 * Every call is bounded by OUTBOUND_TIMEOUT (connect, headers and body together). Whatever GitHub
 * answers is validated before use. A failure of GitHub or of the network is UpstreamUnavailableError
 * (502) or UpstreamTimeoutError (504); a code the user brought that GitHub refuses is not an upstream
 * failure: it comes back as `{ kind: 'rejected' }` for the caller to turn into a refusal.
 */
const SERVICE = 'GitHub';
const SCOPE = 'read:user';
const USER_AGENT = 'cybervpn-admin-backend';
const API_VERSION = '2022-11-28';
const MAX_REPLY_CHARS = 256 * 1024;

/** Errors of the token endpoint caused by what the user brought (GitHub answers them with HTTP 200). */
const USER_CAUSED_ERRORS = new Set(['bad_verification_code', 'unverified_user_email']);

export interface GitHubUser {
  id: number;
  login: string;
}

export type CodeExchange = { kind: 'token'; accessToken: string; scope: string } | { kind: 'rejected'; error: string };

const tokenReply = Joi.object({
  access_token: Joi.string().min(1).max(2048).required(),
  token_type: Joi.string().lowercase().valid('bearer').required(),
  scope: Joi.string().allow('').max(1024).required(),
}).unknown(true);

const errorReply = Joi.object({
  error: Joi.string().min(1).max(200).required(),
  error_description: Joi.string().allow(''),
  error_uri: Joi.string().allow(''),
}).unknown(true);

const userReply = Joi.object({
  id: Joi.number().integer().positive().required(),
  login: Joi.string().min(1).max(100).required(),
}).unknown(true);

const trimSlash = (url: string) => url.replace(/\/+$/, '');

interface Reply {
  status: number;
  body: unknown;
}

export class GitHubClient {
  private readonly settings: Config['github'];
  private readonly timeoutMs: number;

  constructor({ config }: { config: Config }) {
    this.settings = config.github;
    this.timeoutMs = config.outboundTimeoutMs;
  }

  /** Where the browser goes to approve the app; GitHub sends it back with `code` and this `state`. */
  authorizeUrl(state: string): string {
    const url = new URL(`${trimSlash(this.settings.oauthUrl)}/login/oauth/authorize`);
    url.searchParams.set('client_id', this.settings.clientId);
    url.searchParams.set('scope', SCOPE);
    url.searchParams.set('state', state);
    url.searchParams.set('allow_signup', 'false');
    return url.toString();
  }

  async exchangeCode(code: string): Promise<CodeExchange> {
    const reply = await this.request(`${trimSlash(this.settings.oauthUrl)}/login/oauth/access_token`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'User-Agent': USER_AGENT },
      body: JSON.stringify({ client_id: this.settings.clientId, client_secret: this.settings.clientSecret, code }),
    });
    if (reply.status !== 200) throw new UpstreamUnavailableError(SERVICE, `token endpoint answered HTTP ${reply.status}`);

    const refusal = errorReply.validate(reply.body);
    if (!refusal.error) {
      const error = (refusal.value as { error: string }).error;
      if (USER_CAUSED_ERRORS.has(error)) return { kind: 'rejected', error };
      // incorrect_client_credentials, redirect_uri_mismatch...: our configuration, not the user.
      throw new UpstreamUnavailableError(SERVICE, `token endpoint refused the exchange: ${error.slice(0, 100)}`);
    }
    const token = tokenReply.validate(reply.body);
    if (token.error) throw new UpstreamUnavailableError(SERVICE, 'unexpected token endpoint reply');
    const value = token.value as { access_token: string; scope: string };
    return { kind: 'token', accessToken: value.access_token, scope: value.scope };
  }

  async fetchUser(accessToken: string): Promise<GitHubUser> {
    const reply = await this.request(`${trimSlash(this.settings.apiUrl)}/user`, {
      method: 'GET',
      headers: {
        Accept: 'application/vnd.github+json',
        Authorization: `Bearer ${accessToken}`,
        'User-Agent': USER_AGENT,
        'X-GitHub-Api-Version': API_VERSION,
      },
    });
    // A 401 here means GitHub refused the token it has just issued: its failure, not the user's.
    if (reply.status !== 200) throw new UpstreamUnavailableError(SERVICE, `user endpoint answered HTTP ${reply.status}`);
    const user = userReply.validate(reply.body);
    if (user.error) throw new UpstreamUnavailableError(SERVICE, 'unexpected user endpoint reply');
    const { id, login } = user.value as GitHubUser;
    return { id, login };
  }

  /** One bounded round trip; every way it can fail becomes an upstream error. */
  private async request(url: string, init: RequestInit): Promise<Reply> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, { ...init, signal, redirect: 'error' });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'TimeoutError') throw new UpstreamTimeoutError(SERVICE, { cause: error });
      throw new UpstreamUnavailableError(SERVICE, 'request failed', { cause: error });
    }
    if (status >= 500) throw new UpstreamUnavailableError(SERVICE, `answered HTTP ${status}`);
    if (text.length > MAX_REPLY_CHARS) throw new UpstreamUnavailableError(SERVICE, 'reply too large');
    try {
      return { status, body: JSON.parse(text) as unknown };
    } catch (error) {
      throw new UpstreamUnavailableError(SERVICE, `malformed JSON (HTTP ${status})`, { cause: error });
    }
  }
}

import type { Request } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import Joi from 'joi';
import { adminOf, identifyCaller, principalOf, requireRecentReauth } from '../../http/access-guard';
import { ACCESS_COOKIE, clearOAuthLoginNonce, oauthLoginNonceCookie, readCookie, setOAuthLoginNonce } from '../auth/auth.cookies';
import { randomToken } from '../../shared/secrets';
import { STATE_TTL_SECONDS } from './oauth-state.store';
import { sendLoginResult } from '../auth/login-response';
import { loginResultSchema } from '../auth/auth.schemas';
import type { OAuthProvider } from './oauth-state.store';
import type { TelegramPayload } from './oauth.service';
import { authorizeResultSchema, githubCodeBody, linkedAccountListItem, linkedAccountSchema, providerParams, telegramLinkBody, telegramLoginBody } from './oauth.schemas';

const tags = ['oauth'];

/**
 * The admin asking for a link state: none when the request carries no credentials at all;
 * credentials that are present must be good (the authenticator throws, 401), never silently
 * ignored, and their session must have re-authenticated recently (403), since a link is a way
 * in without a password.
 */
async function linkingAdmin(req: Request): Promise<string | undefined> {
  if (req.get('authorization') === undefined && readCookie(req, ACCESS_COOKIE) === undefined) return undefined;
  const principal = adminOf(await identifyCaller(req));
  await requireRecentReauth(req, principal);
  return principal.adminId;
}

const STATE_BINDING =
  'Public, but credentials are looked at when sent (Bearer header or access cookie). ' +
  'With valid credentials of a session re-authenticated in the last 5 minutes (`POST /2fa/reauth`; else 403 ' +
  '"Re-authentication required") the state is a **link** state bound to that admin: only that admin\'s ' +
  `callback (\`POST /oauth/{provider}/callback\`) accepts it. Without credentials it is a **login** state, bound to ` +
  'this browser by an httpOnly `oauth_login_nonce_{provider}` cookie: only `POST /auth/oauth/{provider}/login` with that ' +
  'cookie accepts it. Credentials sent but invalid are 401, never a login state. ' +
  'A state lives 10 minutes and is spent by its first use, whatever the outcome.';

const authorizeRoute = (provider: OAuthProvider, summary: string): RouteDefinition => ({
  method: 'get',
  path: `/oauth/${provider}/authorize`,
  summary,
  description: STATE_BINDING,
  tags,
  access: 'public',
  responses: {
    200: {
      description: 'Where to send the browser, and the state (valid 10 minutes, single use; link state if authenticated, else login state)',
      schema: authorizeResultSchema,
    },
    401: { description: 'Credentials sent but invalid or expired (Invalid or expired token)' },
    403: { description: 'Credentials sent, but their session has not re-authenticated recently (Re-authentication required)' },
  },
  handler: async (req, res) => {
    const { oauthService, config } = req.container.cradle;
    const linkingAdminId = await linkingAdmin(req);
    if (linkingAdminId !== undefined) {
      res.json(await oauthService.authorize(provider, { linkingAdminId }));
      return;
    }
    const browserNonce = randomToken();
    const answer = await oauthService.authorize(provider, { browserNonce });
    setOAuthLoginNonce(res, config, provider, browserNonce, STATE_TTL_SECONDS);
    res.json(answer);
  },
});

const refused = {
  description:
    'Invalid credentials: unknown, spent or mismatched state (wrong provider, a login state used to link or a link state ' +
    'used to sign in, a link state issued to another admin), code or widget data refused, a Telegram payload already used ' +
    'to sign in, or (login) no active admin linked',
};
const LINK_STATE =
  "The state must come from `GET /oauth/{provider}/authorize` called with this same admin's credentials (a link state " +
  'bound to the caller); a login state, or a link state issued to another admin, is refused (401) and spent.';
const LOGIN_STATE =
  'The state must come from `GET /oauth/{provider}/authorize` called without credentials (a login state) by this same ' +
  'browser: authorize sets an httpOnly `oauth_login_nonce_{provider}` cookie (path `/api/v1/auth/oauth`, 10 minutes) that ' +
  'must come back here (login CSRF: an attacker\'s code + state pushed into a victim\'s page lack it). A link state, or ' +
  'a login state without its cookie, is refused (401) and spent.';
const upstream = { description: 'Upstream service unavailable' };

export const oauthRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/oauth/accounts',
    summary: "The caller's linked outside accounts (GitHub, Telegram): each a way to sign in as the caller",
    tags,
    access: 'authenticated',
    responses: { 200: { description: 'One entry per linked account, no tokens', schema: Joi.array().items(linkedAccountListItem) } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.linkedAccountService.list(principalOf(req).adminId));
    },
  },
  authorizeRoute('github', 'Start the GitHub authorization-code flow (sign-in, or linking when authenticated)'),
  authorizeRoute('telegram', 'Start a Telegram login widget popup (sign-in, or linking when authenticated)'),
  {
    method: 'post',
    path: '/oauth/github/callback',
    summary: "Link the caller's GitHub account: the code and state GitHub sent back",
    description: LINK_STATE,
    tags,
    access: 'authenticated',
    reauth: true,
    request: { body: githubCodeBody },
    responses: {
      200: { description: 'Linked', schema: linkedAccountSchema },
      401: refused,
      409: { description: 'OAuth account already exists (linked to another admin, or another GitHub account linked)' },
      502: upstream,
      504: upstream,
    },
    handler: async (req, res) => {
      const { code, state } = req.body as { code: string; state: string };
      res.json(await req.container.cradle.oauthService.linkGitHub(principalOf(req).adminId, code, state));
    },
  },
  {
    method: 'post',
    path: '/oauth/telegram/callback',
    summary: "Link the caller's Telegram account: the login widget's fields and a link state",
    description: `${LINK_STATE} \`state\` is required here: without it the body is refused (422).`,
    tags,
    access: 'authenticated',
    reauth: true,
    request: { body: telegramLinkBody },
    responses: {
      200: { description: 'Linked', schema: linkedAccountSchema },
      401: refused,
      409: { description: 'OAuth account already exists (linked to another admin, or another Telegram account linked)' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.oauthService.linkTelegram(principalOf(req).adminId, req.body as TelegramPayload));
    },
  },
  {
    method: 'post',
    path: '/auth/oauth/github/login',
    summary: 'Sign in through the linked GitHub account (answers like login)',
    description: LOGIN_STATE,
    tags: ['auth', 'oauth'],
    access: 'public',
    credentialEndpoint: true,
    request: { body: githubCodeBody },
    responses: {
      200: { description: 'Tokens (also set as cookies), or requires_2fa with a tfa_token', schema: loginResultSchema },
      401: refused,
      502: upstream,
      504: upstream,
    },
    handler: async (req, res) => {
      const { code, state } = req.body as { code: string; state: string };
      const result = await req.container.cradle.oauthService.loginWithGitHub(code, state, readCookie(req, oauthLoginNonceCookie('github')));
      clearOAuthLoginNonce(res, req.container.cradle.config, 'github');
      sendLoginResult(req, res, result);
    },
  },
  {
    method: 'post',
    path: '/auth/oauth/telegram/login',
    summary: 'Sign in through the linked Telegram account (answers like login)',
    description:
      `${LOGIN_STATE} \`state\` is required (422 without). Each signed widget payload is used once, to link or to sign in: ` +
      'the same payload again, while still fresh (24 h), is refused (401).',
    tags: ['auth', 'oauth'],
    access: 'public',
    credentialEndpoint: true,
    request: { body: telegramLoginBody },
    responses: {
      200: { description: 'Tokens (also set as cookies), or requires_2fa with a tfa_token', schema: loginResultSchema },
      401: refused,
    },
    handler: async (req, res) => {
      const nonce = readCookie(req, oauthLoginNonceCookie('telegram'));
      const result = await req.container.cradle.oauthService.loginWithTelegram(req.body as TelegramPayload, nonce);
      clearOAuthLoginNonce(res, req.container.cradle.config, 'telegram');
      sendLoginResult(req, res, result);
    },
  },
  {
    method: 'delete',
    path: '/oauth/:provider',
    summary: "Unlink the caller's account of a provider (re-authenticated session)",
    tags,
    access: 'authenticated',
    reauth: true,
    request: { params: providerParams },
    responses: { 204: { description: 'Unlinked' }, 404: { description: 'OAuth account not found' } },
    handler: async (req, res) => {
      const { provider } = req.params as { provider: OAuthProvider };
      await req.container.cradle.oauthService.unlink(principalOf(req).adminId, provider);
      res.status(204).end();
    },
  },
];

import type { Request, Response } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import { setSessionCookies } from '../auth/auth.cookies';
import { loginResultSchema } from '../auth/auth.schemas';
import type { LoginResult } from '../auth/auth.service';
import type { OAuthProvider } from './oauth-state.store';
import type { TelegramPayload } from './oauth.service';
import { authorizeResultSchema, githubCodeBody, linkedAccountSchema, providerParams, telegramWidgetBody } from './oauth.schemas';

const tags = ['oauth'];

/** Answers an OAuth sign-in exactly as POST /auth/login answers. */
function sendLoginResult(req: Request, res: Response, result: LoginResult): void {
  if (result.kind === 'second_factor_needed') {
    res.json({ requires_2fa: true, tfa_token: result.tfa_token, expires_in: result.expires_in });
    return;
  }
  setSessionCookies(res, req.container.cradle.config, result.tokens);
  const { access_token, refresh_token, token_type, expires_in } = result.tokens;
  res.json({ access_token, refresh_token, token_type, expires_in });
}

const authorizeRoute = (provider: OAuthProvider, summary: string): RouteDefinition => ({
  method: 'get',
  path: `/oauth/${provider}/authorize`,
  summary,
  tags,
  access: 'public',
  responses: { 200: { description: 'Where to send the browser, and the state (valid 10 minutes, single use)', schema: authorizeResultSchema } },
  handler: async (req, res) => {
    res.json(await req.container.cradle.oauthService.authorize(provider));
  },
});

const refused = { description: 'Unknown or spent state, code or widget data refused, or (login) no active admin linked' };
const upstream = { description: 'Upstream service unavailable' };

export const oauthRoutes: readonly RouteDefinition[] = [
  authorizeRoute('github', 'Start the GitHub authorization-code flow'),
  authorizeRoute('telegram', 'Start a Telegram login (widget popup)'),
  {
    method: 'post',
    path: '/oauth/github/callback',
    summary: "Link the caller's GitHub account: the code and state GitHub sent back",
    tags,
    access: 'authenticated',
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
    summary: "Link the caller's Telegram account: the login widget's fields",
    tags,
    access: 'authenticated',
    request: { body: telegramWidgetBody },
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
      sendLoginResult(req, res, await req.container.cradle.oauthService.loginWithGitHub(code, state));
    },
  },
  {
    method: 'post',
    path: '/auth/oauth/telegram/login',
    summary: 'Sign in through the linked Telegram account (answers like login)',
    tags: ['auth', 'oauth'],
    access: 'public',
    credentialEndpoint: true,
    request: { body: telegramWidgetBody },
    responses: {
      200: { description: 'Tokens (also set as cookies), or requires_2fa with a tfa_token', schema: loginResultSchema },
      401: refused,
    },
    handler: async (req, res) => {
      sendLoginResult(req, res, await req.container.cradle.oauthService.loginWithTelegram(req.body as TelegramPayload));
    },
  },
  {
    method: 'delete',
    path: '/oauth/:provider',
    summary: "Unlink the caller's account of a provider",
    tags,
    access: 'authenticated',
    request: { params: providerParams },
    responses: { 204: { description: 'Unlinked' }, 404: { description: 'OAuth account not found' } },
    handler: async (req, res) => {
      const { provider } = req.params as { provider: OAuthProvider };
      await req.container.cradle.oauthService.unlink(principalOf(req).adminId, provider);
      res.status(204).end();
    },
  },
];

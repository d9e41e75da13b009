import type { Request, Response } from 'express';
import { setSessionCookies } from './auth.cookies';
import type { LoginResult } from './auth.service';
import type { TokenPair } from './session.service';

/** How every sign-in answers (login, 2FA completion, refresh, OAuth): the pair in the body and as cookies. */
export function sendTokens(req: Request, res: Response, tokens: TokenPair): void {
  setSessionCookies(res, req.container.cradle.config, tokens);
  const { access_token, refresh_token, token_type, expires_in } = tokens;
  res.json({ access_token, refresh_token, token_type, expires_in });
}

/** A first sign-in step: tokens, or the request for a second factor. */
export function sendLoginResult(req: Request, res: Response, result: LoginResult): void {
  if (result.kind === 'second_factor_needed') {
    res.json({ requires_2fa: true, tfa_token: result.tfa_token, expires_in: result.expires_in });
    return;
  }
  sendTokens(req, res, result.tokens);
}

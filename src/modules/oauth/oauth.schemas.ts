import Joi from 'joi';
import { OAUTH_PROVIDERS } from './oauth-state.store';

/** A state we issued: randomToken(), 43 URL-safe characters; anything else cannot be ours. */
const state = Joi.string().pattern(/^[A-Za-z0-9_-]{16,128}$/, 'state');

export const providerParams = Joi.object({ provider: Joi.string().valid(...OAUTH_PROVIDERS).required() });

export const githubCodeBody = Joi.object({
  code: Joi.string().pattern(/^[A-Za-z0-9_-]{1,256}$/, 'code').required(),
  state: state.required(),
});

/**
 * The Telegram Login Widget's fields, as the widget hands them to the page (numbers or strings).
 * Values are taken as sent (no trimming: the hash covers the exact text). Fields Telegram may add
 * later are accepted and covered by the hash like the others. `state` is ours and not signed: a
 * state from GET /oauth/telegram/authorize, spent by this use. Linking requires it (a state issued
 * to the caller, authenticated); signing in requires a login state of the same browser.
 */
const digits = (max: number) => Joi.alternatives(Joi.string().pattern(/^\d{1,20}$/, 'digits'), Joi.number().integer().min(0).max(max));
const text = Joi.string().max(512);

const telegramWidgetFields = Joi.object({
  id: digits(Number.MAX_SAFE_INTEGER).required(),
  first_name: text,
  last_name: text,
  username: Joi.string().max(64),
  photo_url: Joi.string().max(1024),
  auth_date: digits(Number.MAX_SAFE_INTEGER).required(),
  hash: Joi.string().pattern(/^[0-9a-fA-F]{64}$/, 'hex digest').required(),
}).pattern(/^[a-z_]{1,32}$/, Joi.alternatives(text, Joi.number()));

export const telegramLoginBody = telegramWidgetFields.keys({ state: state.required() });
export const telegramLinkBody = telegramWidgetFields.keys({ state: state.required() });

export const authorizeResultSchema = Joi.object({ authorize_url: Joi.string().uri(), state: Joi.string() });

export const linkedAccountSchema = Joi.object({
  provider: Joi.string().valid(...OAUTH_PROVIDERS),
  provider_user_id: Joi.string(),
  provider_username: Joi.string().allow(null),
});

export const linkedAccountListItem = linkedAccountSchema.keys({ linked_at: Joi.date().iso() });

import Joi from 'joi';
import { ROLES } from '../../shared/permissions';

const BCRYPT_MAX_BYTES = 72;

/** Passwords: 8..72 bytes of UTF-8 (bcrypt's limit: refused, never truncated), a letter and a digit. */
export const passwordSchema = Joi.string()
  .custom((value: string, helpers) => {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < 8) return helpers.error('password.short');
    if (bytes > BCRYPT_MAX_BYTES) return helpers.error('password.long');
    if (!/\p{L}/u.test(value) || !/\p{Nd}/u.test(value)) return helpers.error('password.weak');
    return value;
  })
  .messages({
    'password.short': '{{#label}} must be at least 8 bytes',
    'password.long': '{{#label}} must be at most 72 bytes of UTF-8',
    'password.weak': '{{#label}} must contain a letter and a digit',
  });

/**
 * A password offered at login: no policy (old accounts may predate it), but never over 72 bytes,
 * because bcrypt would compare only the first 72 and accept anything appended to a real one.
 */
export const presentedPassword = Joi.string()
  .min(1)
  .custom((value: string, helpers) => (Buffer.byteLength(value, 'utf8') > BCRYPT_MAX_BYTES ? helpers.error('password.long') : value))
  .messages({ 'password.long': '{{#label}} must be at most 72 bytes of UTF-8' });

export const loginSchema = Joi.string().pattern(/^[A-Za-z0-9_]{3,50}$/, 'login');

export const loginBody = Joi.object({
  // Login or email; its format is not checked here so that a refusal looks the same for both.
  login_or_email: Joi.string().trim().min(1).max(254).required(),
  password: presentedPassword.required(),
  totp_code: Joi.string().trim().max(32),
  remember_me: Joi.boolean().default(false),
});

export const refreshBody = Joi.object({ refresh_token: Joi.string().max(512) });
export const codeBody = Joi.object({ code: Joi.string().trim().min(6).max(32).required() });
export const verifyTokenBody = Joi.object({ token: Joi.string().max(4096).required() });
export const changePasswordBody = Joi.object({
  current_password: presentedPassword.required(),
  new_password: passwordSchema.required(),
  // The browser form's second field; optional for API clients, but when sent it must match.
  new_password_confirm: Joi.string().valid(Joi.ref('new_password')).messages({ 'any.only': '{{#label}} must match new_password' }),
});
export const sessionIdParams = Joi.object({ id: Joi.string().guid().required() });

export const tokenPairSchema = Joi.object({
  access_token: Joi.string(),
  refresh_token: Joi.string(),
  token_type: Joi.string().valid('bearer'),
  expires_in: Joi.number().integer(),
});
export const loginResultSchema = Joi.alternatives(
  tokenPairSchema,
  Joi.object({ requires_2fa: Joi.boolean().valid(true), tfa_token: Joi.string(), expires_in: Joi.number().integer() }),
);
export const adminSchema = Joi.object({
  id: Joi.string().guid(),
  login: Joi.string(),
  email: Joi.string().allow(null),
  role: Joi.string().valid(...ROLES),
  telegram_id: Joi.number().integer().allow(null),
  is_active: Joi.boolean(),
  totp_enabled: Joi.boolean(),
  created_at: Joi.date().iso(),
  last_login_at: Joi.date().iso().allow(null),
});
export const sessionSchema = Joi.object({
  id: Joi.string().guid(),
  created_at: Joi.date().iso(),
  last_used_at: Joi.date().iso(),
  ip: Joi.string().allow(null),
  user_agent: Joi.string().allow(null),
  current: Joi.boolean(),
});
export const verifyTokenResultSchema = Joi.object({
  valid: Joi.boolean(),
  sub: Joi.string(),
  role: Joi.string().valid(...ROLES),
  exp: Joi.number().integer(),
});

import Joi from 'joi';
import { presentedPassword } from '../auth/auth.schemas';

/** A 6-digit TOTP code, or (where accepted) a backup code: 10 characters, maybe with a dash or spaces. */
const code = Joi.string().trim().min(6).max(32);

export const totpCodeBody = Joi.object({ code: code.required() });

/** Re-authentication: the password, and a current code (TOTP or backup) when 2FA is on. */
export const reauthBody = Joi.object({ password: presentedPassword.required(), code });

/**
 * Turning 2FA off: nothing, on a session re-authenticated in the last minutes; else the password
 * and a current code (TOTP or backup), both.
 */
export const disableBody = Joi.object({
  code,
  password: presentedPassword,
}).and('code', 'password');

export const setupResultSchema = Joi.object({
  secret: Joi.string(),
  otpauth_uri: Joi.string(),
  qr_uri: Joi.string().description('The QR code of otpauth_uri, a data:image/png;base64 URL to show as an image'),
});
export const backupCodesSchema = Joi.object({ backup_codes: Joi.array().items(Joi.string()).length(10) });
export const validateResultSchema = Joi.object({ valid: Joi.boolean() });
export const statusSchema = Joi.object({ enabled: Joi.boolean(), status: Joi.string().valid('enabled', 'disabled'), backup_codes_left: Joi.number().integer().min(0) });

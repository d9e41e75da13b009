import Joi from 'joi';
import { presentedPassword } from '../auth/auth.schemas';

/** A 6-digit TOTP code, or (where accepted) a backup code: 10 characters, maybe with a dash or spaces. */
const code = Joi.string().trim().min(6).max(32);

export const totpCodeBody = Joi.object({ code: code.required() });

/** Enabling 2FA asks for the password again: a stolen access token alone must not lock the owner out. */
export const setupBody = Joi.object({ password: presentedPassword.required() });

/** Turning 2FA off takes a current code (TOTP or backup) or the account password: one of them. */
export const disableBody = Joi.object({
  code,
  password: presentedPassword,
}).xor('code', 'password');

export const setupResultSchema = Joi.object({ secret: Joi.string(), otpauth_uri: Joi.string() });
export const backupCodesSchema = Joi.object({ backup_codes: Joi.array().items(Joi.string()).length(10) });
export const validateResultSchema = Joi.object({ valid: Joi.boolean() });
export const statusSchema = Joi.object({ enabled: Joi.boolean(), backup_codes_left: Joi.number().integer().min(0) });

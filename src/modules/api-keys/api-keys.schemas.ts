import Joi from 'joi';
import { ROLES } from '../../shared/permissions';

/** Roles a key may act with: strictly below super_admin, so no key manages admins or keys. */
export const API_KEY_ROLES = ROLES.filter((role) => role !== 'super_admin');

export const createApiKeyBody = Joi.object({
  name: Joi.string().trim().min(1).max(100).required().description('Who uses the key, e.g. "telegram-bot"'),
  role: Joi.string()
    .valid(...API_KEY_ROLES)
    .required(),
  expires_at: Joi.date().iso().allow(null).description('Optional; in the future. Without it the key lives until revoked'),
});

export const apiKeyIdParams = Joi.object({ id: Joi.string().guid().required() });

export const apiKeySchema = Joi.object({
  id: Joi.string().guid(),
  name: Joi.string(),
  prefix: Joi.string().description('`cvpn_` and the public id: names the key in lists and logs without its secret'),
  role: Joi.string().valid(...API_KEY_ROLES),
  status: Joi.string().valid('active', 'revoked', 'expired'),
  created_by: Joi.string().guid().allow(null),
  created_at: Joi.date().iso(),
  expires_at: Joi.date().iso().allow(null),
  revoked_at: Joi.date().iso().allow(null),
});

export const createdApiKeySchema = apiKeySchema.keys({
  key: Joi.string().description('The key, `cvpn_<public id>_<secret>`: shown only in this answer; send it as `Authorization: Bearer <key>`'),
});

export const apiKeyListSchema = Joi.array().items(apiKeySchema);

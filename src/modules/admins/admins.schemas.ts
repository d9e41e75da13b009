import Joi from 'joi';
import { ROLES } from '../../shared/permissions';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';
import { adminSchema, loginSchema, passwordSchema } from '../auth/auth.schemas';

/** Request and response shapes of admin management, invites and registration. */
const role = Joi.string().valid(...ROLES);
/** Any TLD: admin mailboxes may live on internal domains the public TLD list does not know. */
export const emailSchema = Joi.string().trim().email({ tlds: { allow: false } }).max(254);

export const adminIdParams = Joi.object({ id: Joi.string().guid().required() });

export const listAdminsQuery = Joi.object(pageQueryKeys);

export const updateAdminBody = Joi.object({
  role,
  email: emailSchema.allow(null),
  telegram_id: Joi.number().integer().positive().max(Number.MAX_SAFE_INTEGER).allow(null),
  is_active: Joi.boolean(),
}).min(1);

export const createInviteBody = Joi.object({
  role: role.required(),
  email: emailSchema,
  expires_in_hours: Joi.number().integer().min(1).max(720).default(72),
});

export const registerBody = Joi.object({
  invite_token: Joi.string().max(512).required(),
  login: loginSchema.required(),
  email: emailSchema.required(),
  password: passwordSchema.required(),
});

export const inviteSchema = Joi.object({
  invite_token: Joi.string().description('Shown once; only its SHA-256 is stored'),
  expires_at: Joi.date().iso(),
});

export const adminPageSchema = pageSchema(adminSchema);
export { adminSchema };

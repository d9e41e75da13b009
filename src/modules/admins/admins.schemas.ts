import Joi from 'joi';
import { ROLES, type Role } from '../../shared/permissions';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';
import { adminSchema, loginSchema, passwordSchema } from '../auth/auth.schemas';
import { DEFAULT_INVITE_LIFETIME_HOURS, INVITE_MAX_HOURS, INVITE_STATUSES, maxInviteLifetimeHours, SUPER_ADMIN_INVITE_MAX_HOURS } from './invite-policy';

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

/**
 * The lifetime of an invite in hours, checked against its role's maximum (invite-policy.ts): the
 * sibling `role` is read as sent; an invalid role is reported on its own.
 */
const inviteLifetime = Joi.number()
  .integer()
  .min(1)
  .max(INVITE_MAX_HOURS)
  .custom((hours: number, helpers) => {
    const role = (helpers.state.ancestors[0] as { role?: unknown }).role;
    const limit = maxInviteLifetimeHours(role as Role);
    return ROLES.includes(role as Role) && hours > limit ? helpers.error('number.max', { limit }) : hours;
  })
  .messages({ 'number.max': `{{#label}} must be at most {{#limit}} for this role (super_admin invites: ${SUPER_ADMIN_INVITE_MAX_HOURS})` })
  .default(DEFAULT_INVITE_LIFETIME_HOURS)
  .description(`Default ${DEFAULT_INVITE_LIFETIME_HOURS}; at most ${INVITE_MAX_HOURS}, and ${SUPER_ADMIN_INVITE_MAX_HOURS} for a super_admin invite`);

/**
 * One invite body under two spellings of its email: `email` (POST /admins/invites, SPEC) and
 * `email_hint` (POST /admin/invites, the admin frontend). Same rules; the email binds the invite.
 */
export const inviteBody = (emailKey: 'email' | 'email_hint') =>
  Joi.object({
    role: role.required(),
    [emailKey]: emailSchema.allow(null).description('The only email the invitee may register with'),
    expires_in_hours: inviteLifetime,
  });

export const createInviteBody = inviteBody('email');

export const listInvitesQuery = Joi.object({
  ...pageQueryKeys,
  status: Joi.string()
    .valid(...INVITE_STATUSES, 'all')
    .default('pending'),
});

/** An invite as listed (its id) or its raw token, as the admin frontend sends it. */
export const inviteRefParams = Joi.object({ token: Joi.string().max(512).required() });

export const inviteListItemSchema = Joi.object({
  id: Joi.string().guid(),
  role,
  email_hint: Joi.string().allow(null),
  status: Joi.string().valid(...INVITE_STATUSES),
  issuer: Joi.object({ id: Joi.string().guid(), login: Joi.string() }).allow(null).description('null once the issuer is deleted'),
  created_at: Joi.date().iso(),
  expires_at: Joi.date().iso(),
  used_at: Joi.date().iso().allow(null),
  revoked_at: Joi.date().iso().allow(null),
});

export const invitePageSchema = pageSchema(inviteListItemSchema);

export const registerBody = Joi.object({
  invite_token: Joi.string().max(512).required(),
  login: loginSchema.required(),
  email: emailSchema.required(),
  password: passwordSchema.required(),
});

export const inviteSchema = Joi.object({
  id: Joi.string().guid().description('What GET /admin/invites lists and DELETE /admin/invites/{token} accepts'),
  invite_token: Joi.string().description('Shown once; only its SHA-256 is stored'),
  expires_at: Joi.date().iso(),
});

export const adminPageSchema = pageSchema(adminSchema);
export { adminSchema };

import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import { adminSchema, createInviteBody, inviteSchema, registerBody } from './admins.schemas';

/** Invites are created by an admin holding manage_admins and spent once by POST /auth/register. */
export const inviteRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/admins/invites',
    summary: 'Invite an admin: the invite fixes the role (never above the caller’s) and optionally the email',
    tags: ['admins'],
    access: 'manage_admins',
    request: { body: createInviteBody },
    responses: { 201: { description: 'The invite token, shown only this once', schema: inviteSchema } },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.inviteService.invite(principalOf(req), req.body));
    },
  },
  {
    method: 'post',
    path: '/auth/register',
    summary: 'Register an admin account with an invite (single use)',
    tags: ['auth'],
    access: 'public',
    credentialEndpoint: true,
    request: { body: registerBody },
    responses: {
      201: { description: 'The new admin, with the role the invite fixed', schema: adminSchema },
      401: { description: 'Invalid or expired token: the invite is unknown, used or expired' },
      409: { description: 'Login already exists / Email already exists (the invite stays usable)' },
      422: { description: 'Validation failed, including an email other than the one the invite names' },
    },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.inviteService.register(req.body));
    },
  },
];

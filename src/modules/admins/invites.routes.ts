import type { Request } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import type { PageRequest } from '../../shared/pagination';
import { adminSchema, inviteBody, invitePageSchema, inviteRefParams, inviteSchema, listInvitesQuery, registerBody } from './admins.schemas';
import { MAX_INVITE_ATTEMPTS, type InviteStatus } from './invite-policy';
import type { InviteRequest } from './invites.service';

const tags = ['admins'];
type EmailKey = 'email' | 'email_hint';

const inviteRequestOf = (req: Request, emailKey: EmailKey): InviteRequest => {
  const body = req.body as { role: InviteRequest['role']; expires_in_hours: number } & Partial<Record<EmailKey, string | null>>;
  return { role: body.role, email: body[emailKey] ?? null, expires_in_hours: body.expires_in_hours };
};

/**
 * Creating, listing and revoking invites, declared at two bases over one service: `/admins/invites`
 * (SPEC: `{role, email?, expires_in_hours}`) and `/admin/invites` (what the admin frontend calls:
 * `{role, email_hint}`). Only the email's field name differs.
 */
function inviteManagementRoutes(base: string, emailKey: EmailKey): RouteDefinition[] {
  return [
    {
      method: 'post',
      path: base,
      summary: `Invite an admin: the invite fixes the role (one the caller may grant) and optionally the email (\`${emailKey}\`)`,
      tags,
      access: 'manage_admins',
      request: { body: inviteBody(emailKey) },
      responses: { 201: { description: 'The invite token, shown only this once', schema: inviteSchema } },
      handler: async (req, res) => {
        res.status(201).json(await req.container.cradle.inviteService.invite(principalOf(req), inviteRequestOf(req, emailKey)));
      },
    },
    {
      method: 'get',
      path: base,
      summary: 'List invites, newest first: pending ones unless `status` says otherwise; never a token or its hash',
      tags,
      access: 'manage_admins',
      request: { query: listInvitesQuery },
      responses: { 200: { description: 'Invites', schema: invitePageSchema } },
      handler: async (req, res) => {
        const { status, page, page_size } = req.query as unknown as PageRequest & { status: InviteStatus | 'all' };
        res.json(await req.container.cradle.inviteService.list(status, { page, page_size }));
      },
    },
    {
      method: 'delete',
      path: `${base}/:token`,
      summary: 'Revoke an invite, named by its id (as listed) or by its raw token',
      tags,
      access: 'manage_admins',
      request: { params: inviteRefParams },
      responses: {
        204: { description: 'The invite registers nobody (already used, revoked or expired ones included)' },
        404: { description: 'Invite not found' },
      },
      handler: async (req, res) => {
        await req.container.cradle.inviteService.revoke(principalOf(req), (req.params as { token: string }).token);
        res.status(204).end();
      },
    },
  ];
}

/** Invites are created by an admin holding manage_admins and spent once by POST /auth/register. */
export const inviteRoutes: readonly RouteDefinition[] = [
  ...inviteManagementRoutes('/admins/invites', 'email'),
  ...inviteManagementRoutes('/admin/invites', 'email_hint'),
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
      401: { description: 'Invalid or expired token: the invite is unknown, used, revoked or expired, or its issuer may no longer grant it' },
      409: {
        description: `Login already exists / Email already exists: the invite stays usable, for ${MAX_INVITE_ATTEMPTS} attempts in all (then it is revoked)`,
      },
      422: { description: 'Validation failed, including an email other than the one the invite names (counts as an attempt)' },
    },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.inviteService.register(req.body));
    },
  },
];

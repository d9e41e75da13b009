import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import type { PageRequest } from '../../shared/pagination';
import { adminIdParams, adminPageSchema, adminSchema, listAdminsQuery, updateAdminBody } from './admins.schemas';

const tags = ['admins'];
const idOf = (params: unknown) => (params as { id: string }).id;
const NOT_FOUND = { description: 'Admin not found' };
const STATE_CONFLICT = {
  description: 'The last active super_admin cannot be demoted, deactivated or deleted; nobody deactivates or deletes their own account',
};

export const adminRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/admins',
    summary: 'List admin accounts',
    tags,
    access: 'manage_admins',
    request: { query: listAdminsQuery },
    responses: { 200: { description: 'Admins, oldest first', schema: adminPageSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.adminService.list(req.query as unknown as PageRequest));
    },
  },
  {
    method: 'get',
    path: '/admins/:id',
    summary: 'One admin account',
    tags,
    access: 'manage_admins',
    request: { params: adminIdParams },
    responses: { 200: { description: 'The admin', schema: adminSchema }, 404: NOT_FOUND },
    handler: async (req, res) => {
      res.json(await req.container.cradle.adminService.get(idOf(req.params)));
    },
  },
  {
    method: 'patch',
    path: '/admins/:id',
    summary: 'Change role, email, Telegram id or active state; deactivating ends every session',
    tags,
    access: 'manage_admins',
    request: { params: adminIdParams, body: updateAdminBody },
    responses: {
      200: { description: 'Updated', schema: adminSchema },
      404: NOT_FOUND,
      409: { description: `Email or Telegram account already exists. ${STATE_CONFLICT.description}` },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.adminService.update(principalOf(req), idOf(req.params), req.body));
    },
  },
  {
    method: 'delete',
    path: '/admins/:id',
    summary: 'Delete an admin account and with it every session',
    tags,
    access: 'manage_admins',
    request: { params: adminIdParams },
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND, 409: STATE_CONFLICT },
    handler: async (req, res) => {
      await req.container.cradle.adminService.delete(principalOf(req), idOf(req.params));
      res.status(204).end();
    },
  },
  {
    method: 'post',
    path: '/admins/:id/revoke-sessions',
    summary: 'End every session of an admin: its next request is refused',
    tags,
    access: 'manage_admins',
    request: { params: adminIdParams },
    responses: { 204: { description: 'Every session ended' }, 404: NOT_FOUND },
    handler: async (req, res) => {
      await req.container.cradle.adminService.revokeSessions(principalOf(req), idOf(req.params));
      res.status(204).end();
    },
  },
];

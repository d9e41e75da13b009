import type { Access, RouteDefinition, ResponseSpec } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import type { BulkOperation, VpnUserAction, VpnUserFilters } from './vpn-users.service';
import {
  BULK_MAX,
  bulkBody,
  bulkExtendBody,
  bulkResultSchema,
  createVpnUserBody,
  listVpnUsersQuery,
  updateVpnUserBody,
  vpnUserIdParams,
  vpnUserPageSchema,
  vpnUserSchema,
} from './vpn-users.schemas';

/** VPN users (Remnawave users, numeric ids). Bulk routes come first: `/users/bulk/...` is not an id. */
const tags = ['vpn-users'];
const idOf = (params: unknown) => Number((params as { id: number | string }).id);
const NOT_FOUND: ResponseSpec = { description: 'VPN user not found' };
const UPSTREAM = { 502: { description: 'Upstream service unavailable (the VPN panel failed)' }, 504: { description: 'Upstream service unavailable (the VPN panel timed out)' } };

interface BulkRouteSpec {
  name: string;
  summary: string;
  access: Access;
  body: typeof bulkBody;
  operation: (body: Record<string, unknown>) => BulkOperation;
}

const BULK_ROUTES: readonly BulkRouteSpec[] = [
  { name: 'enable', summary: 'Enable', access: 'user_update', body: bulkBody, operation: () => ({ kind: 'enable' }) },
  { name: 'disable', summary: 'Disable', access: 'user_update', body: bulkBody, operation: () => ({ kind: 'disable' }) },
  { name: 'reset-traffic', summary: 'Reset the traffic of', access: 'user_update', body: bulkBody, operation: () => ({ kind: 'reset-traffic' }) },
  { name: 'delete', summary: 'Delete', access: 'user_delete', body: bulkBody, operation: () => ({ kind: 'delete' }) },
  {
    name: 'extend',
    summary: 'Extend by N days the expiry of',
    access: 'user_update',
    body: bulkExtendBody,
    operation: (body) => ({ kind: 'extend', days: body.days as number }),
  },
];

const bulkRoute = (spec: BulkRouteSpec): RouteDefinition => ({
  method: 'post',
  path: `/users/bulk/${spec.name}`,
  summary: `${spec.summary} 1..${BULK_MAX} VPN users, with a result per id`,
  description:
    'Each id runs the single-user operation, a few at a time; every change is audited. 502/504 only when the panel failed for every id.' +
    (spec.name === 'extend' ? ' Each new expiry is computed once, from one read, and SET: a retried panel call never adds twice.' : ''),
  tags,
  access: spec.access,
  request: { body: spec.body },
  responses: { 200: { description: 'One result per id: ok, not_found or error', schema: bulkResultSchema }, ...UPSTREAM },
  handler: async (req, res) => {
    const body = req.body as Record<string, unknown> & { ids: number[] };
    res.json(await req.container.cradle.vpnUserService.bulk(body.ids, spec.operation(body)));
  },
});

const actionRoute = (action: VpnUserAction, summary: string): RouteDefinition => ({
  method: 'post',
  path: `/users/:id/${action}`,
  summary,
  tags,
  access: 'user_update',
  request: { params: vpnUserIdParams },
  responses: { 200: { description: 'The VPN user after the action', schema: vpnUserSchema }, 404: NOT_FOUND, ...UPSTREAM },
  handler: async (req, res) => {
    res.json(await req.container.cradle.vpnUserService.act(idOf(req.params), action));
  },
});

export const vpnUserRoutes: readonly RouteDefinition[] = [
  ...BULK_ROUTES.map(bulkRoute),
  {
    method: 'get',
    path: '/users',
    summary: 'List VPN users; search by username (substring), email or Telegram id (exact)',
    tags,
    access: 'user_read',
    request: { query: listVpnUsersQuery },
    responses: { 200: { description: 'A page of VPN users with the true total', schema: vpnUserPageSchema }, ...UPSTREAM },
    handler: async (req, res) => {
      const { page, page_size, ...filters } = req.query as unknown as PageRequest & VpnUserFilters;
      res.json(await req.container.cradle.vpnUserService.list({ page: Number(page), page_size: Number(page_size) }, filters));
    },
  },
  {
    method: 'post',
    path: '/users',
    summary: 'Create a VPN user',
    tags,
    access: 'user_create',
    request: { body: createVpnUserBody },
    responses: {
      201: { description: 'Created', schema: vpnUserSchema },
      409: { description: 'VPN user already exists (username taken)' },
      422: { description: 'Invalid values, or values the VPN panel refused' },
      ...UPSTREAM,
    },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.vpnUserService.create(req.body));
    },
  },
  {
    method: 'get',
    path: '/users/:id',
    summary: 'One VPN user',
    tags,
    access: 'user_read',
    request: { params: vpnUserIdParams },
    responses: { 200: { description: 'The VPN user', schema: vpnUserSchema }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await req.container.cradle.vpnUserService.get(idOf(req.params)));
    },
  },
  {
    method: 'patch',
    path: '/users/:id',
    summary: 'Change a VPN user (status, expiry, traffic limit, email, Telegram id, description)',
    tags,
    access: 'user_update',
    request: { params: vpnUserIdParams, body: updateVpnUserBody },
    responses: { 200: { description: 'Updated', schema: vpnUserSchema }, 404: NOT_FOUND, 422: { description: 'Invalid values' }, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await req.container.cradle.vpnUserService.update(idOf(req.params), req.body));
    },
  },
  {
    method: 'delete',
    path: '/users/:id',
    summary: 'Delete a VPN user',
    tags,
    access: 'user_delete',
    request: { params: vpnUserIdParams },
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      await req.container.cradle.vpnUserService.delete(idOf(req.params));
      res.status(204).end();
    },
  },
  actionRoute('enable', 'Enable a VPN user'),
  actionRoute('disable', 'Disable a VPN user'),
  actionRoute('reset-traffic', "Reset a VPN user's used traffic"),
  actionRoute('revoke', 'Revoke the subscription: a new subscription link, the old one stops working'),
];

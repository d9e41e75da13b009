import type { Request, Response } from 'express';
import type { Access, RouteDefinition, ResponseSpec } from '../../http/route-definition';
import {
  createServerBody,
  geolocationBody,
  geolocationSchema,
  serverListSchema,
  serverMapSchema,
  serverSchema,
  serverStatsSchema,
  serverUuidParams,
  updateServerBody,
} from './servers.schemas';

/**
 * Servers (Remnawave nodes). The admin frontend reads the list as a bare array (unpaginated, as
 * the panel's) and sends PUT for updates, so PUT is declared beside PATCH. Fixed paths
 * (`/servers/stats`, `/servers/map`) come before `/servers/:uuid`.
 */
const tags = ['servers'];
const uuidOf = (req: Request) => (req.params as { uuid: string }).uuid;
const NOT_FOUND: ResponseSpec = { description: 'Server not found' };
const UPSTREAM = { 502: { description: 'Upstream service unavailable (the VPN panel failed)' }, 504: { description: 'Upstream service unavailable (the VPN panel timed out)' } };
const service = (req: Request) => req.container.cradle.serverService;

const updateRoute = (method: 'patch' | 'put'): RouteDefinition => ({
  method,
  path: '/servers/:uuid',
  summary: method === 'put' ? 'Change a server (PUT, as the admin frontend sends it; same as PATCH)' : 'Change a server',
  tags,
  access: 'server_update',
  request: { params: serverUuidParams, body: updateServerBody },
  responses: { 200: { description: 'Updated', schema: serverSchema }, 404: NOT_FOUND, ...UPSTREAM },
  handler: async (req, res) => {
    res.json(await service(req).update(uuidOf(req), req.body));
  },
});

const actionRoute = (action: 'enable' | 'disable' | 'restart', access: Access, handler: (req: Request, res: Response) => Promise<void>): RouteDefinition => ({
  method: 'post',
  path: `/servers/:uuid/${action}`,
  summary: `${action[0]?.toUpperCase()}${action.slice(1)} a server`,
  tags,
  access,
  request: { params: serverUuidParams },
  responses: action === 'restart' ? { 202: { description: 'Restart requested' }, 404: NOT_FOUND, ...UPSTREAM } : { 200: { description: 'The server', schema: serverSchema }, 404: NOT_FOUND, ...UPSTREAM },
  handler,
});

export const serverRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/servers',
    summary: 'Every server with its derived status (a bare array)',
    tags,
    access: 'server_read',
    responses: { 200: { description: 'Servers', schema: serverListSchema }, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).list());
    },
  },
  {
    method: 'get',
    path: '/servers/stats',
    summary: 'Server counts by status',
    tags,
    access: 'server_read',
    responses: { 200: { description: 'Counts', schema: serverStatsSchema }, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).stats());
    },
  },
  {
    method: 'get',
    path: '/servers/map',
    summary: 'Every server with its status and map location (null when none is set)',
    tags,
    access: 'server_read',
    responses: { 200: { description: 'Servers on the map', schema: serverMapSchema }, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).map());
    },
  },
  {
    method: 'post',
    path: '/servers',
    summary: 'Add a server; by default with the first config profile of the panel and all its inbounds',
    tags,
    access: 'server_create',
    request: { body: createServerBody },
    responses: {
      201: { description: 'Created', schema: serverSchema },
      409: { description: 'The VPN panel has no config profile to give the server' },
      ...UPSTREAM,
    },
    handler: async (req, res) => {
      res.status(201).json(await service(req).create(req.body));
    },
  },
  {
    method: 'get',
    path: '/servers/:uuid',
    summary: 'One server',
    tags,
    access: 'server_read',
    request: { params: serverUuidParams },
    responses: { 200: { description: 'The server', schema: serverSchema }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).get(uuidOf(req)));
    },
  },
  updateRoute('patch'),
  updateRoute('put'),
  {
    method: 'delete',
    path: '/servers/:uuid',
    summary: 'Remove a server',
    tags,
    access: 'server_delete',
    request: { params: serverUuidParams },
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      await service(req).delete(uuidOf(req));
      res.status(204).end();
    },
  },
  actionRoute('enable', 'server_update', async (req, res) => {
    res.json(await service(req).setEnabled(uuidOf(req), true));
  }),
  actionRoute('disable', 'server_update', async (req, res) => {
    res.json(await service(req).setEnabled(uuidOf(req), false));
  }),
  actionRoute('restart', 'server_update', async (req, res) => {
    await service(req).restart(uuidOf(req));
    res.status(202).end();
  }),
  {
    method: 'put',
    path: '/servers/:uuid/geolocation',
    summary: "Set a server's map position",
    tags,
    access: 'server_update',
    request: { params: serverUuidParams, body: geolocationBody },
    responses: { 200: { description: 'Stored', schema: geolocationSchema }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).setGeolocation(uuidOf(req), req.body));
    },
  },
];

import type { Request } from 'express';
import type { RouteDefinition, ResponseSpec } from '../../http/route-definition';
import { createHostBody, hostListSchema, hostSchema, hostUuidParams, inboundListSchema, updateHostBody } from './hosts.schemas';

/** Hosts and inbounds: bare arrays, PUT beside PATCH, as the admin frontend uses them. */
const tags = ['hosts'];
const uuidOf = (req: Request) => (req.params as { uuid: string }).uuid;
const NOT_FOUND: ResponseSpec = { description: 'Host not found' };
const UPSTREAM = { 502: { description: 'Upstream service unavailable (the VPN panel failed)' }, 504: { description: 'Upstream service unavailable (the VPN panel timed out)' } };
const service = (req: Request) => req.container.cradle.hostService;

const updateRoute = (method: 'patch' | 'put'): RouteDefinition => ({
  method,
  path: '/hosts/:uuid',
  summary: method === 'put' ? 'Change a host (PUT, as the admin frontend sends it; same as PATCH)' : 'Change a host',
  tags,
  access: 'server_update',
  request: { params: hostUuidParams, body: updateHostBody },
  responses: { 200: { description: 'Updated', schema: hostSchema }, 404: NOT_FOUND, ...UPSTREAM },
  handler: async (req, res) => {
    res.json(await service(req).update(uuidOf(req), req.body));
  },
});

export const hostRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/hosts',
    summary: 'Every host (a bare array)',
    tags,
    access: 'server_read',
    responses: { 200: { description: 'Hosts', schema: hostListSchema }, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).list());
    },
  },
  {
    method: 'post',
    path: '/hosts',
    summary: 'Add a host; by default on the first inbound of the first config profile',
    tags,
    access: 'server_create',
    request: { body: createHostBody },
    responses: { 201: { description: 'Created', schema: hostSchema }, 409: { description: 'The VPN panel has no inbound for the host' }, ...UPSTREAM },
    handler: async (req, res) => {
      res.status(201).json(await service(req).create(req.body));
    },
  },
  {
    method: 'get',
    path: '/hosts/:uuid',
    summary: 'One host',
    tags,
    access: 'server_read',
    request: { params: hostUuidParams },
    responses: { 200: { description: 'The host', schema: hostSchema }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).get(uuidOf(req)));
    },
  },
  updateRoute('patch'),
  updateRoute('put'),
  {
    method: 'delete',
    path: '/hosts/:uuid',
    summary: 'Remove a host',
    tags,
    access: 'server_delete',
    request: { params: hostUuidParams },
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND, ...UPSTREAM },
    handler: async (req, res) => {
      await service(req).delete(uuidOf(req));
      res.status(204).end();
    },
  },
  {
    method: 'get',
    path: '/inbounds',
    summary: 'Every inbound of every config profile (a bare array)',
    tags: ['inbounds'],
    access: 'server_read',
    responses: { 200: { description: 'Inbounds', schema: inboundListSchema }, ...UPSTREAM },
    handler: async (req, res) => {
      res.json(await service(req).listInbounds());
    },
  },
];

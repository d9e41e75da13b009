import type { RouteDefinition } from '../../http/route-definition';
import { principalOf } from '../../http/access-guard';
import { apiKeyIdParams, apiKeyListSchema, createApiKeyBody, createdApiKeySchema } from './api-keys.schemas';
import type { ApiKeyRequest } from './api-keys.service';

const tags = ['admins'];

/** Service credentials: only a super_admin (manage_admins) makes, lists and revokes them. */
export const apiKeyRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/admins/api-keys',
    summary: 'Create an API key for a service (any role below super_admin); the key is shown only in this answer',
    tags,
    access: 'manage_admins',
    reauth: true,
    request: { body: createApiKeyBody },
    responses: { 201: { description: 'The new key, with its secret this once', schema: createdApiKeySchema } },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.apiKeyService.create(principalOf(req), req.body as ApiKeyRequest));
    },
  },
  {
    method: 'get',
    path: '/admins/api-keys',
    summary: 'List API keys, newest first, revoked and expired ones included; never a secret or hash',
    tags,
    access: 'manage_admins',
    responses: { 200: { description: 'API keys', schema: apiKeyListSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.apiKeyService.list());
    },
  },
  {
    method: 'delete',
    path: '/admins/api-keys/:id',
    summary: 'Revoke an API key: refused from the very next request on',
    tags,
    access: 'manage_admins',
    request: { params: apiKeyIdParams },
    responses: {
      204: { description: 'The key authenticates nothing any more (already revoked ones included)' },
      404: { description: 'API key not found' },
    },
    handler: async (req, res) => {
      await req.container.cradle.apiKeyService.revoke(principalOf(req), (req.params as { id: string }).id);
      res.status(204).end();
    },
  },
];

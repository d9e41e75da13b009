import { principalOf } from '../../http/access-guard';
import type { RouteDefinition } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import type { EndpointInput } from './outgoing-webhooks.service';
import {
  createOutgoingWebhookBody,
  deliveryPageSchema,
  listQuery,
  outgoingWebhookIdParams,
  outgoingWebhookPageSchema,
  outgoingWebhookSchema,
  rotatedSecretSchema,
  updateOutgoingWebhookBody,
  withSecretSchema,
} from './outgoing-webhooks.schemas';

const tags = ['outgoing-webhooks'];
const idOf = (params: unknown) => (params as { id: string }).id;
const NOT_FOUND = { 404: { description: 'Webhook endpoint not found' } };
const SCHEME =
  'Each delivery is a POST of `{id, event, created_at, data}` with `X-CyberVPN-Timestamp` (unix seconds) and ' +
  '`X-CyberVPN-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`; see README, "Outgoing webhooks".';

/** The operator's own systems: a super_admin (with a fresh re-authentication) manages them; webhook_read reads. */
export const outgoingWebhookRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/admin/webhooks',
    summary: 'Register an endpoint for signed event deliveries; its secret is shown only in this answer',
    description: SCHEME,
    tags,
    access: 'manage_admins',
    reauth: true,
    request: { body: createOutgoingWebhookBody },
    responses: { 201: { description: 'The endpoint and its signing secret', schema: withSecretSchema } },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.outgoingWebhookService.create(principalOf(req).adminId, req.body as EndpointInput));
    },
  },
  {
    method: 'get',
    path: '/admin/webhooks',
    summary: 'List webhook endpoints, newest first (never a secret)',
    tags,
    access: 'webhook_read',
    request: { query: listQuery },
    responses: { 200: { description: 'Endpoints', schema: outgoingWebhookPageSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.outgoingWebhookService.list(req.query as unknown as PageRequest));
    },
  },
  {
    method: 'get',
    path: '/admin/webhooks/:id',
    summary: 'Read a webhook endpoint',
    tags,
    access: 'webhook_read',
    request: { params: outgoingWebhookIdParams },
    responses: { 200: { description: 'The endpoint', schema: outgoingWebhookSchema }, ...NOT_FOUND },
    handler: async (req, res) => {
      res.json(await req.container.cradle.outgoingWebhookService.get(idOf(req.params)));
    },
  },
  {
    method: 'patch',
    path: '/admin/webhooks/:id',
    summary: 'Change an endpoint; is_active=true re-enables one disabled after failures',
    tags,
    access: 'manage_admins',
    reauth: true,
    request: { params: outgoingWebhookIdParams, body: updateOutgoingWebhookBody },
    responses: { 200: { description: 'The endpoint after the change', schema: outgoingWebhookSchema }, ...NOT_FOUND },
    handler: async (req, res) => {
      res.json(await req.container.cradle.outgoingWebhookService.update(idOf(req.params), req.body as Partial<EndpointInput>));
    },
  },
  {
    method: 'post',
    path: '/admin/webhooks/:id/rotate-secret',
    summary: 'Replace the signing secret; the new one is shown only in this answer',
    tags,
    access: 'manage_admins',
    reauth: true,
    request: { params: outgoingWebhookIdParams },
    responses: { 200: { description: 'The new secret', schema: rotatedSecretSchema }, ...NOT_FOUND },
    handler: async (req, res) => {
      res.json(await req.container.cradle.outgoingWebhookService.rotateSecret(idOf(req.params)));
    },
  },
  {
    method: 'delete',
    path: '/admin/webhooks/:id',
    summary: 'Remove an endpoint and its delivery history',
    tags,
    access: 'manage_admins',
    reauth: true,
    request: { params: outgoingWebhookIdParams },
    responses: { 204: { description: 'Removed' }, ...NOT_FOUND },
    handler: async (req, res) => {
      await req.container.cradle.outgoingWebhookService.delete(idOf(req.params));
      res.status(204).end();
    },
  },
  {
    method: 'get',
    path: '/admin/webhooks/:id/deliveries',
    summary: 'The delivery history of an endpoint, newest first',
    tags,
    access: 'webhook_read',
    request: { params: outgoingWebhookIdParams, query: listQuery },
    responses: { 200: { description: 'Deliveries with their attempts and last outcome', schema: deliveryPageSchema }, ...NOT_FOUND },
    handler: async (req, res) => {
      res.json(await req.container.cradle.outgoingWebhookService.deliveries(idOf(req.params), req.query as unknown as PageRequest));
    },
  },
];

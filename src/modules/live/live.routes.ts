import Joi from 'joi';
import type { RouteDefinition } from '../../http/route-definition';
import packageJson from '../../../package.json';
import { buildAsyncApiDocument } from './live.asyncapi';
import { WS_TICKET_TTL_SECONDS } from './ws-tickets';

/** The ticket that opens the monitoring WebSocket (src/modules/live/live-gateway.ts serves the socket). */
export const liveRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/ws/ticket',
    summary: 'A single-use ticket for the monitoring WebSocket',
    description: `Valid ${WS_TICKET_TTL_SECONDS} s for one \`GET /api/v1/ws/monitoring?ticket=\` upgrade; the socket's messages are in /asyncapi.json.`,
    tags: ['live'],
    access: 'signed_in',
    responses: {
      200: { description: 'The ticket', schema: Joi.object({ ticket: Joi.string().required(), expires_in: Joi.number().integer().valid(WS_TICKET_TTL_SECONDS).required() }) },
    },
    handler: async (req, res) => {
      const ticket = await req.container.cradle.wsTicketStore.issue(req.principal!);
      res.json({ ticket, expires_in: WS_TICKET_TTL_SECONDS });
    },
  },
];

/** Served beside /openapi.json. */
export const liveDocumentRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/asyncapi.json',
    summary: 'The AsyncAPI 3.0 document of the monitoring WebSocket',
    tags: ['system'],
    access: 'public',
    responses: { 200: { description: 'AsyncAPI document', schema: Joi.object().unknown(true) } },
    handler: (_req, res) => {
      res.json(buildAsyncApiDocument(packageJson.version));
    },
  },
];

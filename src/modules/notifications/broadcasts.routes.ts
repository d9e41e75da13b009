import type { Principal } from '../../http/access-guard';
import type { RouteDefinition } from '../../http/route-definition';
import { broadcastIdParams, broadcastSchema, createBroadcastBody } from './broadcasts.schemas';
import type { BroadcastRequest } from './broadcasts.service';

const tags = ['notifications'];

export const broadcastRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/notifications/broadcasts',
    summary: 'Send a message to every VPN user of a segment who has a Telegram id, now or at send_at',
    description:
      'The segment is resolved from the panel now: one notification per recipient, paced under the same global Telegram rate as every other message. ' +
      'Users without a Telegram id are skipped and counted. The message is plain text, HTML-escaped, at most 4096 characters once escaped.',
    tags,
    access: 'notification_send',
    request: { body: createBroadcastBody },
    responses: { 201: { description: 'Queued, with its first progress', schema: broadcastSchema } },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.broadcastService.create(req.principal as Principal, req.body as BroadcastRequest));
    },
  },
  {
    method: 'get',
    path: '/notifications/broadcasts/:id',
    summary: 'A broadcast\'s progress: recipients, and how many are sent, failed, cancelled and pending',
    tags,
    access: 'monitoring_read',
    request: { params: broadcastIdParams },
    responses: { 200: { description: 'Progress', schema: broadcastSchema }, 404: { description: 'Broadcast not found' } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.broadcastService.progress((req.params as { id: string }).id));
    },
  },
  {
    method: 'delete',
    path: '/notifications/broadcasts/:id',
    summary: 'Cancel a broadcast, also while it is being sent: every message not sent (or being sent) yet is cancelled',
    tags,
    access: 'notification_send',
    request: { params: broadcastIdParams },
    responses: {
      200: { description: 'Cancelled, with its progress', schema: broadcastSchema },
      404: { description: 'Broadcast not found' },
      409: { description: 'Already cancelled' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.broadcastService.cancel((req.params as { id: string }).id));
    },
  },
];

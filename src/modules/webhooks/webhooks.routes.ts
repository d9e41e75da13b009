import type { Request } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import type { WebhookSource } from './webhook-events';
import type { WebhookLogFilters } from './webhook-logs.repository';
import { webhookAcceptedSchema, webhookLogIdParams, webhookLogPageSchema, webhookLogQuery, webhookLogSchema } from './webhooks.schemas';

const SIGNATURE_HEADERS: Record<WebhookSource, string> = {
  cryptobot: 'crypto-pay-api-signature',
  remnawave: 'x-remnawave-signature',
};

function intake(source: WebhookSource): RouteDefinition {
  return {
    method: 'post',
    path: `/webhooks/${source}`,
    summary: `${source === 'cryptobot' ? 'Crypto Pay' : 'Remnawave'} webhook, authenticated by its signature over the raw body (${SIGNATURE_HEADERS[source]})`,
    description:
      'The delivery is recorded (committed) before it is queued for the webhook worker, and answered at once. ' +
      'A repeated delivery of one event is answered 200 and changes nothing; events this service does not act on ' +
      'are recorded as `ignored` and answered 200. While Redis is unreachable the recorded row is enough: 200, ' +
      'and the worker\'s periodic sweep queues it once Redis is back.',
    tags: ['webhooks'],
    access: 'public',
    responses: {
      200: { description: 'Recorded (and queued, or to be queued by the sweep)', schema: webhookAcceptedSchema },
      400: { description: 'Signed, but the body is not JSON (recorded)' },
      401: { description: 'Missing or invalid signature (recorded, never processed)' },
    },
    handler: async (req: Request, res) => {
      await req.container.cradle.webhookIntakeService.receive(source, req.rawBody ?? Buffer.alloc(0), req.get(SIGNATURE_HEADERS[source]));
      res.json({ ok: true });
    },
  };
}

export const webhookRoutes: readonly RouteDefinition[] = [
  intake('cryptobot'),
  intake('remnawave'),
  {
    method: 'get',
    path: '/admin/webhook-log',
    summary: 'Webhook deliveries, newest first, filtered by source and status',
    tags: ['admin logs'],
    access: 'webhook_read',
    request: { query: webhookLogQuery },
    responses: { 200: { description: 'Webhook log entries', schema: webhookLogPageSchema } },
    handler: async (req, res) => {
      const { page, page_size, ...filters } = req.query as unknown as PageRequest & WebhookLogFilters;
      res.json(await req.container.cradle.webhookLogService.list(filters, { page, page_size }));
    },
  },
  {
    method: 'post',
    path: '/admin/webhook-log/:id/retry',
    summary: 'Queue a failed webhook (or a valid one that never reached the queue) for processing again',
    tags: ['admin logs'],
    access: 'webhook_read',
    request: { params: webhookLogIdParams },
    responses: {
      202: { description: 'Queued again', schema: webhookLogSchema },
      404: { description: 'Webhook log entry not found' },
      409: { description: 'Invalid signature (never processed), or not failed and not stuck before the queue' },
      503: { description: 'Redis unavailable: nothing changed, try again' },
    },
    handler: async (req, res) => {
      res.status(202).json(await req.container.cradle.webhookLogService.retry((req.params as { id: string }).id));
    },
  },
];

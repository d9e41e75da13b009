import Joi from 'joi';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';

/** What an operator's system may subscribe to. */
export const OUTGOING_EVENTS = ['payment.completed', 'payment.failed', 'user.expired', 'node.down', 'node.up'] as const;
export type OutgoingEvent = (typeof OUTGOING_EVENTS)[number];

const url = Joi.string()
  .uri({ scheme: ['http', 'https'] })
  .max(2048)
  .description('Where deliveries are POSTed; https in production; never a loopback, private or link-local address');
const events = Joi.array()
  .items(Joi.string().valid(...OUTGOING_EVENTS))
  .min(1)
  .unique();
const description = Joi.string().trim().max(200).allow(null, '');

export const createOutgoingWebhookBody = Joi.object({ url: url.required(), events: events.required(), description });
export const updateOutgoingWebhookBody = Joi.object({
  url,
  events,
  description,
  is_active: Joi.boolean().description('true re-enables an endpoint disabled after failures, and resets its failure count'),
}).min(1);
export const outgoingWebhookIdParams = Joi.object({ id: Joi.string().guid().required() });
export const listQuery = Joi.object(pageQueryKeys);

export const outgoingWebhookSchema = Joi.object({
  id: Joi.string().guid(),
  url: Joi.string(),
  events: Joi.array().items(Joi.string().valid(...OUTGOING_EVENTS)),
  description: Joi.string().allow(null),
  is_active: Joi.boolean(),
  consecutive_failures: Joi.number().integer(),
  disabled_reason: Joi.string().allow(null),
  created_by: Joi.string().guid().allow(null),
  created_at: Joi.date().iso(),
  updated_at: Joi.date().iso(),
});
export const outgoingWebhookPageSchema = pageSchema(outgoingWebhookSchema);
const secret = Joi.string().description('The signing secret: shown only in this answer (see README, "Outgoing webhooks")');
export const withSecretSchema = outgoingWebhookSchema.keys({ secret });
export const rotatedSecretSchema = Joi.object({ secret });

export const deliverySchema = Joi.object({
  id: Joi.string().guid(),
  event: Joi.string(),
  status: Joi.string().valid('pending', 'delivered', 'failed', 'cancelled'),
  attempts: Joi.number().integer(),
  last_status_code: Joi.number().integer().allow(null),
  last_error: Joi.string().allow(null),
  delivered_at: Joi.date().iso().allow(null),
  created_at: Joi.date().iso(),
});
export const deliveryPageSchema = pageSchema(deliverySchema);

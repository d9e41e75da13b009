import Joi from 'joi';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';
import { WEBHOOK_STATUSES } from './webhook-logs.repository';

export const webhookAcceptedSchema = Joi.object({ ok: Joi.boolean().valid(true) });

export const webhookLogQuery = Joi.object({
  ...pageQueryKeys,
  source: Joi.string().valid('cryptobot', 'remnawave'),
  status: Joi.string().valid(...WEBHOOK_STATUSES),
});

export const webhookLogIdParams = Joi.object({ id: Joi.string().guid().required() });

export const webhookLogSchema = Joi.object({
  id: Joi.string().guid(),
  source: Joi.string().valid('cryptobot', 'remnawave'),
  event_type: Joi.string().allow(null),
  dedupe_key: Joi.string().allow(null).description('What makes two deliveries one event (Crypto Pay: the invoice id)'),
  payload: Joi.any().description('The body as received; for an invalid signature only its first 256 characters and its size'),
  is_valid: Joi.boolean(),
  status: Joi.string().valid(...WEBHOOK_STATUSES),
  attempts: Joi.number().integer().min(0),
  error_message: Joi.string().allow(null).description('A safe reason, never a stack or an upstream reply'),
  processed_at: Joi.date().iso().allow(null),
  created_at: Joi.date().iso(),
  updated_at: Joi.date().iso(),
});

export const webhookLogPageSchema = pageSchema(webhookLogSchema);

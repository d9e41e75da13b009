import Joi from 'joi';
import { instantSchema } from '../../shared/instant';
import { TELEGRAM_MAX_TEXT_LENGTH } from '../../integrations/telegram/telegram.client';

/** `expiring_within_days:N` takes N from 1 to 365. */
export const SEGMENT_PATTERN = /^(all_active|expired|expiring_within_days:([1-9]\d?|[12]\d\d|3[0-5]\d|36[0-5]))$/;

export const createBroadcastBody = Joi.object({
  segment: Joi.string()
    .pattern(SEGMENT_PATTERN)
    .required()
    .messages({ 'string.pattern.base': 'segment must be all_active, expired or expiring_within_days:N (N from 1 to 365)' })
    .description('all_active: active subscriptions; expiring_within_days:N: active ones ending within N days; expired: expired ones'),
  message: Joi.string()
    .trim()
    .min(1)
    .max(TELEGRAM_MAX_TEXT_LENGTH)
    .required()
    .description(`Plain text, shown as typed: it is HTML-escaped, and at most ${TELEGRAM_MAX_TEXT_LENGTH} characters once escaped`),
  send_at: instantSchema.description('When to send it; now when absent or past'),
});

export const broadcastIdParams = Joi.object({ id: Joi.string().guid().required() });

export const broadcastSchema = Joi.object({
  id: Joi.string().guid(),
  segment: Joi.string(),
  status: Joi.string().valid('queued', 'cancelled'),
  send_at: Joi.date().iso().allow(null),
  total: Joi.number().integer().min(0).description('Recipients: one notification each'),
  sent: Joi.number().integer().min(0),
  failed: Joi.number().integer().min(0),
  cancelled: Joi.number().integer().min(0),
  pending: Joi.number().integer().min(0).description('Not sent yet (waiting, paced, or being sent)'),
  skipped_no_telegram: Joi.number().integer().min(0).description('Users of the segment without a Telegram id'),
  created_at: Joi.date().iso(),
});

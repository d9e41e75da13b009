import Joi from 'joi';
import { instantSchema } from '../../shared/instant';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';
import { TELEGRAM_MAX_TEXT_LENGTH } from '../../integrations/telegram/telegram.client';
import { NOTIFICATION_STATUSES } from './notifications.repository';

/** Telegram user ids are positive and fit in 52 bits (core.telegram.org/bots/api#user). */
const telegramId = Joi.number().integer().min(1).max(2 ** 52);

export const createNotificationBody = Joi.object({
  telegram_id: telegramId.description('One Telegram user (a VPN user or an admin)'),
  admins: Joi.boolean().valid(true).description('Every active admin with a Telegram id, resolved when it is sent'),
  message: Joi.string()
    .trim()
    .min(1)
    .max(TELEGRAM_MAX_TEXT_LENGTH)
    .required()
    .description(`Plain text, shown as typed: it is HTML-escaped, and at most ${TELEGRAM_MAX_TEXT_LENGTH} characters once escaped`),
  send_at: instantSchema.description('When to send it; now when absent or past'),
})
  .xor('telegram_id', 'admins')
  .messages({ 'object.xor': 'give either telegram_id or admins, not both', 'object.missing': 'give telegram_id or admins' });

export const notificationListQuery = Joi.object({
  ...pageQueryKeys,
  status: Joi.string().valid(...NOTIFICATION_STATUSES),
});

export const notificationIdParams = Joi.object({ id: Joi.string().guid().required() });

export const notificationSchema = Joi.object({
  id: Joi.string().guid(),
  telegram_id: Joi.number().integer().allow(null).description('null for a message to the admins'),
  to_admins: Joi.boolean(),
  message: Joi.string().description('The HTML Telegram receives'),
  status: Joi.string().valid(...NOTIFICATION_STATUSES),
  attempts: Joi.number().integer().min(0),
  error: Joi.string().allow(null).description('The last failure, in safe words'),
  send_at: Joi.date().iso().allow(null),
  sent_at: Joi.date().iso().allow(null),
  telegram_message_id: Joi.number().integer().allow(null),
  parent_id: Joi.string().guid().allow(null).description('The message to the admins this row was made from'),
  created_by: Joi.string().guid().allow(null),
  created_at: Joi.date().iso(),
});

export const notificationPageSchema = pageSchema(notificationSchema);

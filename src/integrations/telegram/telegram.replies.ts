import Joi from 'joi';

/**
 * The Bot API envelope (core.telegram.org/bots/api#making-requests): `{ok: true, result}` or
 * `{ok: false, error_code, description, parameters?: {retry_after?, migrate_to_chat_id?}}`.
 * Unknown fields pass: Telegram adds fields without notice.
 */
export interface TelegramFailure {
  ok: false;
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export const telegramFailureSchema = Joi.object({
  ok: Joi.valid(false).required(),
  error_code: Joi.number().integer().required(),
  description: Joi.string().allow('').required(),
  parameters: Joi.object({
    retry_after: Joi.number().integer().min(0),
    migrate_to_chat_id: Joi.number().integer(),
  }).unknown(true),
}).unknown(true);

/** The part of a Message this service reads: its id (what a later edit or delete would need). */
export interface SentMessage {
  message_id: number;
}

export const sentMessageEnvelopeSchema = Joi.object({
  ok: Joi.valid(true).required(),
  result: Joi.object({
    message_id: Joi.number().integer().required(),
    date: Joi.number().integer().required(),
    chat: Joi.object({ id: Joi.number().integer().required() }).unknown(true).required(),
  })
    .unknown(true)
    .required(),
})
  .unknown(true)
  .required();

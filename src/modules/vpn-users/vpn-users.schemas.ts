import Joi from 'joi';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';

/** Remnawave's own rules, checked here so the caller gets our 422 rather than the panel's refusal. */
const username = Joi.string().min(3).max(36).pattern(/^[A-Za-z0-9_-]+$/, 'username');
const telegramId = Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER);
const email = Joi.string().trim().email({ tlds: false }).max(254);
const trafficLimit = Joi.number().integer().min(0).max(Number.MAX_SAFE_INTEGER).description('Bytes; 0 is unlimited');
const futureDate = Joi.date().iso().greater('now').description('ISO 8601, in the future');
const description = Joi.string().max(1000);

export const vpnUserIdParams = Joi.object({ id: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required() });

export const listVpnUsersQuery = Joi.object({
  ...pageQueryKeys,
  username: Joi.string().trim().min(1).max(36).description('Substring of the username'),
  email: email.description('Exact email'),
  telegram_id: telegramId.description('Exact Telegram id'),
}).oxor('username', 'email', 'telegram_id');

export const createVpnUserBody = Joi.object({
  username: username.required(),
  expire_at: futureDate.required(),
  traffic_limit_bytes: trafficLimit,
  email: email.allow(null),
  telegram_id: telegramId.allow(null),
  description,
});

export const updateVpnUserBody = Joi.object({
  status: Joi.string().valid('active', 'disabled'),
  expire_at: futureDate,
  traffic_limit_bytes: trafficLimit,
  email: email.allow(null),
  telegram_id: telegramId.allow(null),
  description: description.allow(null),
}).min(1);

export const BULK_MAX = 100;
const bulkIds = Joi.array().items(vpnUserIdParams.extract('id')).min(1).max(BULK_MAX).unique().required();
export const bulkBody = Joi.object({ ids: bulkIds });
export const bulkExtendBody = Joi.object({
  ids: bulkIds,
  days: Joi.number().integer().min(1).max(3650).required().description('Days added past max(now, current expiry)'),
});

export const vpnUserSchema = Joi.object({
  id: Joi.number().integer(),
  short_uuid: Joi.string(),
  username: Joi.string(),
  status: Joi.string().valid('active', 'disabled', 'limited', 'expired'),
  expire_at: Joi.date().iso(),
  traffic_limit_bytes: Joi.number().integer(),
  used_traffic_bytes: Joi.number().integer(),
  online_at: Joi.date().iso().allow(null),
  email: Joi.string().allow(null),
  telegram_id: Joi.number().integer().allow(null),
  description: Joi.string().allow(null),
  subscription_url: Joi.string(),
  created_at: Joi.date().iso(),
});

export const vpnUserPageSchema = pageSchema(vpnUserSchema);

export const bulkResultSchema = Joi.object({
  results: Joi.array().items(
    Joi.object({ id: Joi.number().integer(), result: Joi.string().valid('ok', 'not_found', 'error') }),
  ),
  ok: Joi.number().integer(),
  not_found: Joi.number().integer(),
  error: Joi.number().integer(),
});

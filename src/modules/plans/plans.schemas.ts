import Joi from 'joi';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';

const name = Joi.string().trim().min(1).max(100);
const fields = {
  name,
  tier: Joi.string().trim().min(1).max(50),
  duration_days: Joi.number().integer().min(1).max(3650),
  price: Joi.number().precision(2).min(0).max(1_000_000),
  currency: Joi.string().uppercase().pattern(/^[A-Z]{3,10}$/, 'currency code'),
  traffic_limit_bytes: Joi.number().integer().min(0).allow(null),
  device_limit: Joi.number().integer().min(1).max(1000),
  features: Joi.array().items(Joi.string().max(200)).max(50),
  is_active: Joi.boolean(),
  sort_order: Joi.number().integer().min(-1000).max(1000),
};

export const planIdParams = Joi.object({ id: Joi.string().guid({ version: 'uuidv4' }).required() });

export const createPlanBody = Joi.object({
  ...fields,
  name: name.required(),
  tier: fields.tier.required(),
  duration_days: fields.duration_days.required(),
  price: fields.price.required(),
  currency: fields.currency.required(),
  device_limit: fields.device_limit.default(1),
  features: fields.features.default([]),
  is_active: fields.is_active.default(true),
  sort_order: fields.sort_order.default(0),
  traffic_limit_bytes: fields.traffic_limit_bytes.default(null),
});

export const updatePlanBody = Joi.object(fields).min(1);

export const listPlansQuery = Joi.object({
  ...pageQueryKeys,
  include_inactive: Joi.boolean().default(false).description('Inactive plans too: needs manage_plans (401 without credentials, 403 without the permission)'),
});

export const planSchema = Joi.object({
  id: Joi.string().guid(),
  name: Joi.string(),
  tier: Joi.string(),
  duration_days: Joi.number().integer(),
  price: Joi.string().description('Decimal as a string, two places'),
  currency: Joi.string(),
  traffic_limit_bytes: Joi.number().integer().allow(null),
  device_limit: Joi.number().integer(),
  features: Joi.array().items(Joi.string()),
  is_active: Joi.boolean(),
  sort_order: Joi.number().integer(),
  created_at: Joi.date().iso(),
  updated_at: Joi.date().iso(),
});

export const planPageSchema = pageSchema(planSchema);

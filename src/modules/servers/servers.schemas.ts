import Joi from 'joi';

/** What the panel accepts for a node (name 3..30, address, port), checked here first. */
const name = Joi.string().trim().min(3).max(30);
const address = Joi.string().trim().min(2).max(253);
const port = Joi.number().integer().min(1).max(65535);
const countryCode = Joi.string().uppercase().pattern(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2');

export const serverUuidParams = Joi.object({ uuid: Joi.string().guid().required() });

export const createServerBody = Joi.object({
  name: name.required(),
  address: address.required(),
  port,
  country_code: countryCode,
  config_profile_uuid: Joi.string().guid().description('Default: the first config profile of the panel'),
  inbound_uuids: Joi.array().items(Joi.string().guid()).max(100).unique().description("Default: every inbound of the profile"),
});

export const updateServerBody = Joi.object({ name, address, port, country_code: countryCode }).min(1);

export const geolocationBody = Joi.object({
  country_code: countryCode.required(),
  city: Joi.string().trim().min(1).max(100).allow(null),
  latitude: Joi.number().min(-90).max(90).required(),
  longitude: Joi.number().min(-180).max(180).required(),
});

export const serverSchema = Joi.object({
  uuid: Joi.string().guid(),
  name: Joi.string(),
  address: Joi.string(),
  port: Joi.number().integer().allow(null),
  status: Joi.string().valid('online', 'offline', 'warning', 'maintenance'),
  users_online: Joi.number().integer(),
  traffic_used_bytes: Joi.number().integer(),
  country_code: Joi.string().allow(null),
});

export const serverListSchema = Joi.array().items(serverSchema);

export const serverStatsSchema = Joi.object({
  total: Joi.number().integer(),
  online: Joi.number().integer(),
  offline: Joi.number().integer(),
  warning: Joi.number().integer(),
  maintenance: Joi.number().integer(),
  disabled: Joi.number().integer().description('The same count as maintenance'),
});

const locationSchema = Joi.object({
  country_code: Joi.string(),
  city: Joi.string().allow(null),
  latitude: Joi.number(),
  longitude: Joi.number(),
});

export const geolocationSchema = locationSchema.keys({ node_uuid: Joi.string().guid(), updated_at: Joi.date().iso() });

export const serverMapSchema = Joi.array().items(
  Joi.object({
    uuid: Joi.string().guid(),
    name: Joi.string(),
    status: Joi.string(),
    country_code: Joi.string().allow(null),
    location: locationSchema.allow(null),
  }),
);

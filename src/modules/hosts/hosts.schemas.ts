import Joi from 'joi';

/** The ALPN values the panel accepts (its contract's ALPN list). */
export const ALPN_VALUES = ['h3', 'h2', 'http/1.1', 'h2,http/1.1', 'h3,h2,http/1.1', 'h3,h2'] as const;

const optionalText = (max: number) => Joi.string().trim().max(max).allow(null, '');
const fields = {
  name: Joi.string().trim().min(1).max(100),
  address: Joi.string().trim().min(1).max(253),
  port: Joi.number().integer().min(1).max(65535),
  sni: optionalText(253),
  host_header: optionalText(253),
  path: optionalText(512),
  alpn: Joi.string()
    .valid(...ALPN_VALUES)
    .allow(null),
  is_disabled: Joi.boolean(),
  inbound_uuid: Joi.string().guid().description('Default on create: the first inbound of the first config profile'),
};

export const hostUuidParams = Joi.object({ uuid: Joi.string().guid().required() });

export const createHostBody = Joi.object({
  ...fields,
  name: fields.name.required(),
  address: fields.address.required(),
  port: fields.port.required(),
});

export const updateHostBody = Joi.object(fields).min(1);

export const hostSchema = Joi.object({
  uuid: Joi.string().guid(),
  name: Joi.string(),
  address: Joi.string(),
  port: Joi.number().integer(),
  sni: Joi.string().allow(null),
  host_header: Joi.string().allow(null),
  path: Joi.string().allow(null),
  alpn: Joi.string().allow(null),
  is_disabled: Joi.boolean(),
  inbound_uuid: Joi.string().guid().allow(null),
});

export const hostListSchema = Joi.array().items(hostSchema);

export const inboundListSchema = Joi.array().items(
  Joi.object({
    uuid: Joi.string().guid(),
    profile_uuid: Joi.string().guid(),
    tag: Joi.string(),
    type: Joi.string(),
    network: Joi.string().allow(null),
    security: Joi.string().allow(null),
    port: Joi.number().integer().allow(null),
  }),
);

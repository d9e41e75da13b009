import Joi from 'joi';
import { TEMPLATE_TYPES } from '../../integrations/remnawave/remnawave-admin.replies';

/**
 * Request and reply schemas of the pass-through routes. Fields are snake_case like the rest of
 * the API; free-form documents the panel keeps whole (Xray JSON, snippet entries, template JSON,
 * plugin configuration) are passed as given. Each rule is at least as strict as the panel's own
 * contract, so anything valid here is valid there.
 */

/** The panel's uuids (zod): versions 1..8, RFC 4122 variant; Joi's guid would pass version 0. */
export const panelUuid = Joi.string().pattern(/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i, 'uuid');
/** The panel's name rule for profiles, squads, plugins and templates (its `\s` narrowed to a space). */
const panelName = (max: number) =>
  Joi.string()
    .min(2)
    .max(max)
    .pattern(/^[A-Za-z0-9_ -]+$/, 'name');
const document = Joi.object().unknown(true);

export const uuidParams = Joi.object({ uuid: panelUuid.required() });
export const settingsIdParams = Joi.object({ id: panelUuid.required() });

/** A range of whole UTC days, both ends included, at most a year; four-digit years, as the panel's dates have. */
const day = Joi.date().iso().min('2000-01-01').max('2999-12-31');
export const usageQuery = Joi.object({
  start: day.required(),
  end: day.min(Joi.ref('start')).required(),
}).custom((range: { start: Date; end: Date }, helpers) => (range.end.getTime() - range.start.getTime() > 366 * 86_400_000 ? helpers.error('any.invalid') : range), 'at most a year');

export const createConfigProfileBody = Joi.object({ name: panelName(30).required(), config: document.required() });
export const xrayConfigQuery = Joi.object({ profile_uuid: panelUuid.description('Default: the first config profile') });
export const updateXrayConfigBody = Joi.object({ profile_uuid: panelUuid.required(), config: document.required() });

export const createSquadBody = Joi.object({ name: panelName(30).required(), inbound_uuids: Joi.array().items(panelUuid).unique().max(1000).default([]) });

export const createSnippetBody = Joi.object({
  name: Joi.string()
    .min(2)
    .max(255)
    .pattern(/^[A-Za-z0-9_ -]+(\/[A-Za-z0-9_ -]+)*$/, 'snippet name')
    .required(),
  snippet: Joi.array().items(document).max(1000).required(),
});

const remarks = Joi.array().items(Joi.string().max(200)).min(1).max(50).required();
const settingsFields = {
  serve_json_at_base_subscription: Joi.boolean(),
  is_show_custom_remarks: Joi.boolean(),
  randomize_hosts: Joi.boolean(),
  custom_remarks: Joi.object({
    expired_users: remarks,
    limited_users: remarks,
    disabled_users: remarks,
    empty_hosts: remarks,
    hwid_max_devices_exceeded: remarks,
    hwid_not_supported: remarks,
  }),
  custom_response_headers: Joi.object().pattern(Joi.string().pattern(/^[a-zA-Z0-9_-]+$/, 'header name').max(100), Joi.string().max(1000)).max(50),
  hwid_settings: Joi.object({
    enabled: Joi.boolean().required(),
    fallback_device_limit: Joi.number().integer().min(0).max(10_000).required(),
    max_devices_announce: Joi.string().max(200).allow(null).required(),
  }),
};
export const updateSettingsBody = Joi.object(settingsFields).min(1);
export const postSettingsBody = Joi.object({ id: panelUuid.required(), ...settingsFields }).min(2);

export const createTemplateBody = Joi.object({
  name: panelName(255).required(),
  template_type: Joi.string()
    .valid(...TEMPLATE_TYPES)
    .required(),
});
export const updateTemplateBody = Joi.object({ name: panelName(255), template_json: document, encoded_template_yaml: Joi.string().max(1_000_000) }).min(1);

export const createNodePluginBody = Joi.object({ name: panelName(30).required() });
export const updateNodePluginBody = Joi.object({ name: panelName(30), plugin_config: Joi.any() }).min(1);
export const cloneNodePluginBody = Joi.object({ clone_from_uuid: panelUuid.required() });

const ip = Joi.string().ip({ version: ['ipv4', 'ipv6'], cidr: 'forbidden' });
export const executeNodePluginBody = Joi.object({
  command: Joi.object({
    command: Joi.string().valid('blockIps', 'unblockIps', 'recreateTables').required(),
    ips: Joi.when('command', {
      switch: [
        { is: 'blockIps', then: Joi.array().items(Joi.object({ ip: ip.required(), timeout: Joi.number().integer().min(0).max(31_536_000).required() })).min(1).max(1000).required() },
        { is: 'unblockIps', then: Joi.array().items(ip).min(1).max(1000).required() },
      ],
      otherwise: Joi.forbidden(),
    }),
  }).required(),
  target_nodes: Joi.object({
    target: Joi.string().valid('allNodes', 'specificNodes').required(),
    node_uuids: Joi.when('target', { is: 'specificNodes', then: Joi.array().items(panelUuid).min(1).max(1000).required(), otherwise: Joi.forbidden() }),
  }).required(),
});

// Replies.
const inbound = Joi.object({
  uuid: Joi.string().guid(),
  profile_uuid: Joi.string().guid(),
  tag: Joi.string(),
  type: Joi.string(),
  network: Joi.string().allow(null),
  security: Joi.string().allow(null),
  port: Joi.number().integer().allow(null),
});
export const configProfileSchema = Joi.object({ uuid: Joi.string().guid(), name: Joi.string(), view_position: Joi.number().integer(), inbounds: Joi.array().items(inbound) });
export const xrayConfigSchema = Joi.object({ profile_uuid: Joi.string().guid(), name: Joi.string(), config: Joi.object().unknown(true) });
export const internalSquadSchema = Joi.object({
  uuid: Joi.string().guid(),
  name: Joi.string(),
  view_position: Joi.number().integer(),
  members_count: Joi.number().integer(),
  inbounds_count: Joi.number().integer(),
  inbound_uuids: Joi.array().items(Joi.string().guid()),
});
export const externalSquadSchema = Joi.object({ uuid: Joi.string().guid(), name: Joi.string(), view_position: Joi.number().integer(), members_count: Joi.number().integer() });
export const snippetSchema = Joi.object({ name: Joi.string(), snippet: Joi.array().items(Joi.object().unknown(true)) });
export const settingsSchema = Joi.object({
  id: Joi.string().guid(),
  serve_json_at_base_subscription: Joi.boolean(),
  is_show_custom_remarks: Joi.boolean(),
  randomize_hosts: Joi.boolean(),
  custom_remarks: Joi.object().pattern(Joi.string(), Joi.array().items(Joi.string())),
  custom_response_headers: Joi.object().pattern(Joi.string(), Joi.string()).allow(null),
  hwid_settings: Joi.object({ enabled: Joi.boolean(), fallback_device_limit: Joi.number(), max_devices_announce: Joi.string().allow(null) }).allow(null),
});
export const templateSchema = Joi.object({
  uuid: Joi.string().guid(),
  name: Joi.string(),
  view_position: Joi.number().integer(),
  template_type: Joi.string().valid(...TEMPLATE_TYPES),
  template_json: Joi.object().unknown(true).allow(null),
  encoded_template_yaml: Joi.string().allow(null),
});
export const nodePluginSchema = Joi.object({ uuid: Joi.string().guid(), name: Joi.string(), view_position: Joi.number().integer(), plugin_config: Joi.any() });
const daily = { days: Joi.array().items(Joi.string()).description('UTC days, YYYY-MM-DD'), bytes_per_day: Joi.array().items(Joi.number()) };
export const serverUsageSchema = Joi.object({ ...daily, top_users: Joi.array().items(Joi.object({ username: Joi.string(), bytes: Joi.number() })) });
export const userUsageSchema = Joi.object({
  ...daily,
  servers: Joi.array().items(Joi.object({ uuid: Joi.string().guid(), name: Joi.string(), country_code: Joi.string(), bytes: Joi.number(), bytes_per_day: Joi.array().items(Joi.number()) })),
});

import Joi from 'joi';
import { panelConfigProfileSchema, type PanelConfigProfile } from './remnawave-infra.replies';

/**
 * Replies of the Remnawave 3.4 admin commands the pass-through routes serve (config profiles,
 * squads, snippets, subscription settings and templates, node plugins, usage statistics): only the
 * fields we pass on are checked; unknown ones pass. A missing or mistyped one is an upstream failure.
 */
const uuid = Joi.string().guid().required();
const name = Joi.string().required();
const viewPosition = Joi.number().integer().required();
const looseObject = (keys: Record<string, Joi.Schema>) => Joi.object(keys).unknown(true);
const listOf = (member: string, item: Joi.Schema) => looseObject({ total: Joi.number().integer().min(0).required(), [member]: Joi.array().items(item).required() });

/** A config profile (remnawave-infra.replies) with its Xray JSON: the reply of the config commands. */
export const panelConfigProfileWithConfig = panelConfigProfileSchema.keys({ config: Joi.object().unknown(true).required() });
export const panelConfigProfileList = listOf('configProfiles', panelConfigProfileWithConfig);

export const panelInternalSquad = looseObject({
  uuid,
  name,
  viewPosition,
  info: looseObject({ membersCount: Joi.number().min(0).required(), inboundsCount: Joi.number().min(0).required() }).required(),
  inbounds: Joi.array().items(looseObject({ uuid })).required(),
});
export const panelInternalSquadList = listOf('internalSquads', panelInternalSquad);

const panelExternalSquad = looseObject({ uuid, name, viewPosition, info: looseObject({ membersCount: Joi.number().min(0).required() }).required() });
export const panelExternalSquadList = listOf('externalSquads', panelExternalSquad);

export const panelSnippetList = listOf('snippets', looseObject({ name, snippet: Joi.array().items(Joi.object().unknown(true)).required() }));

const remarks = Joi.array().items(Joi.string()).required();
export const panelSubscriptionSettings = looseObject({
  uuid,
  serveJsonAtBaseSubscription: Joi.boolean().required(),
  isShowCustomRemarks: Joi.boolean().required(),
  randomizeHosts: Joi.boolean().required(),
  customRemarks: looseObject({
    expiredUsers: remarks,
    limitedUsers: remarks,
    disabledUsers: remarks,
    emptyHosts: remarks,
    HWIDMaxDevicesExceeded: remarks,
    HWIDNotSupported: remarks,
  }).required(),
  customResponseHeaders: Joi.object().pattern(Joi.string(), Joi.string()).allow(null).required(),
  hwidSettings: looseObject({
    enabled: Joi.boolean().required(),
    fallbackDeviceLimit: Joi.number().required(),
    maxDevicesAnnounce: Joi.string().allow(null, '').required(),
  })
    .allow(null)
    .required(),
});

export const TEMPLATE_TYPES = ['XRAY_JSON', 'XRAY_BASE64', 'MIHOMO', 'STASH', 'CLASH', 'SINGBOX'] as const;
export const panelSubscriptionTemplate = looseObject({
  uuid,
  name,
  viewPosition,
  templateType: Joi.string()
    .valid(...TEMPLATE_TYPES)
    .required(),
  templateJson: Joi.any().allow(null),
  encodedTemplateYaml: Joi.string().allow(null, ''),
});
export const panelSubscriptionTemplateList = listOf('templates', panelSubscriptionTemplate);

export const panelNodePlugin = looseObject({ uuid, name, viewPosition, pluginConfig: Joi.any() });
export const panelNodePluginList = listOf('nodePlugins', panelNodePlugin);

const perDay = { categories: Joi.array().items(Joi.string()).required(), sparklineData: Joi.array().items(Joi.number().min(0)).required() };
export const panelNodeUsersUsage = looseObject({
  ...perDay,
  topUsers: Joi.array()
    .items(looseObject({ username: Joi.string().required(), total: Joi.number().min(0).required() }))
    .required(),
});
export const panelUserUsage = looseObject({
  ...perDay,
  series: Joi.array()
    .items(
      looseObject({
        uuid,
        name,
        countryCode: Joi.string().allow('').required(),
        total: Joi.number().min(0).required(),
        data: Joi.array().items(Joi.number().min(0)).required(),
      }),
    )
    .required(),
});

/** What the presenters read, in the panel's names: the infra reply's profile, with its Xray JSON where asked. */
export type PanelAdminConfigProfile = PanelConfigProfile & { config?: Record<string, unknown> };
export interface PanelInternalSquad {
  uuid: string;
  name: string;
  viewPosition: number;
  info: { membersCount: number; inboundsCount: number };
  inbounds: { uuid: string }[];
}
export interface PanelExternalSquad {
  uuid: string;
  name: string;
  viewPosition: number;
  info: { membersCount: number };
}
export interface PanelSnippet {
  name: string;
  snippet: Record<string, unknown>[];
}
export interface PanelSubscriptionSettings {
  uuid: string;
  serveJsonAtBaseSubscription: boolean;
  isShowCustomRemarks: boolean;
  randomizeHosts: boolean;
  customRemarks: Record<'expiredUsers' | 'limitedUsers' | 'disabledUsers' | 'emptyHosts' | 'HWIDMaxDevicesExceeded' | 'HWIDNotSupported', string[]>;
  customResponseHeaders: Record<string, string> | null;
  hwidSettings: { enabled: boolean; fallbackDeviceLimit: number; maxDevicesAnnounce: string | null } | null;
}
export interface PanelSubscriptionTemplate {
  uuid: string;
  name: string;
  viewPosition: number;
  templateType: (typeof TEMPLATE_TYPES)[number];
  templateJson?: unknown;
  encodedTemplateYaml?: string | null;
}
export interface PanelNodePlugin {
  uuid: string;
  name: string;
  viewPosition: number;
  pluginConfig?: unknown;
}
export interface PanelNodeUsersUsage {
  categories: string[];
  sparklineData: number[];
  topUsers: { username: string; total: number }[];
}
export interface PanelUserUsage {
  categories: string[];
  sparklineData: number[];
  series: { uuid: string; name: string; countryCode: string; total: number; data: number[] }[];
}

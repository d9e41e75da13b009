import type {
  PanelAdminConfigProfile,
  PanelExternalSquad,
  PanelInternalSquad,
  PanelNodePlugin,
  PanelNodeUsersUsage,
  PanelSnippet,
  PanelSubscriptionSettings,
  PanelSubscriptionTemplate,
  PanelUserUsage,
} from '../../integrations/remnawave/remnawave-admin.replies';
import { NotFoundError, UpstreamUnavailableError } from '../../shared/errors';
import { SERVICE } from '../../integrations/remnawave/remnawave.transport';
import { toInbound } from '../hosts/hosts.service';

/**
 * The panel's records in our snake_case shapes, and our request bodies in the panel's: the two
 * directions of every pass-through row. Nothing here calls anything.
 */
export const CONFIG_PROFILE = 'Config profile';

/** Profiles without their Xray JSON: it holds the inbounds' private keys, which only /xray/config shows. */
export const toConfigProfile = (profile: PanelAdminConfigProfile) => ({
  uuid: profile.uuid,
  name: profile.name,
  view_position: profile.viewPosition,
  inbounds: profile.inbounds.map(toInbound),
});

/** The profile asked for, else the first one in the panel's order: the config `GET /xray/config` shows. */
export function xrayConfigOf(profiles: (PanelAdminConfigProfile & { config: Record<string, unknown> })[], profileUuid: string | undefined) {
  const ordered = [...profiles].sort((a, b) => a.viewPosition - b.viewPosition);
  const profile = profileUuid === undefined ? ordered[0] : ordered.find((candidate) => candidate.uuid === profileUuid);
  if (!profile) throw new NotFoundError(CONFIG_PROFILE);
  return { profile_uuid: profile.uuid, name: profile.name, config: profile.config };
}

export const toInternalSquad = (squad: PanelInternalSquad) => ({
  uuid: squad.uuid,
  name: squad.name,
  view_position: squad.viewPosition,
  members_count: squad.info.membersCount,
  inbounds_count: squad.info.inboundsCount,
  inbound_uuids: squad.inbounds.map((inbound) => inbound.uuid),
});

export const toExternalSquad = (squad: PanelExternalSquad) => ({ uuid: squad.uuid, name: squad.name, view_position: squad.viewPosition, members_count: squad.info.membersCount });

export const toSnippet = (snippet: PanelSnippet) => ({ name: snippet.name, snippet: snippet.snippet });

/** Create answers the whole list; the new one is found in it by its (unique) name. Absent, the reply is wrong. */
export function createdSnippet(snippets: PanelSnippet[], name: string) {
  const snippet = snippets.find((candidate) => candidate.name === name);
  if (!snippet) throw new UpstreamUnavailableError(SERVICE, 'the created snippet is not in the reply');
  return toSnippet(snippet);
}

const REMARKS = [
  ['expired_users', 'expiredUsers'],
  ['limited_users', 'limitedUsers'],
  ['disabled_users', 'disabledUsers'],
  ['empty_hosts', 'emptyHosts'],
  ['hwid_max_devices_exceeded', 'HWIDMaxDevicesExceeded'],
  ['hwid_not_supported', 'HWIDNotSupported'],
] as const;

export const toSettings = (settings: PanelSubscriptionSettings) => ({
  id: settings.uuid,
  serve_json_at_base_subscription: settings.serveJsonAtBaseSubscription,
  is_show_custom_remarks: settings.isShowCustomRemarks,
  randomize_hosts: settings.randomizeHosts,
  custom_remarks: Object.fromEntries(REMARKS.map(([ours, theirs]) => [ours, settings.customRemarks[theirs]])),
  custom_response_headers: settings.customResponseHeaders,
  hwid_settings: settings.hwidSettings && {
    enabled: settings.hwidSettings.enabled,
    fallback_device_limit: settings.hwidSettings.fallbackDeviceLimit,
    max_devices_announce: settings.hwidSettings.maxDevicesAnnounce,
  },
});

interface SettingsChanges {
  serve_json_at_base_subscription?: boolean;
  is_show_custom_remarks?: boolean;
  randomize_hosts?: boolean;
  custom_remarks?: Record<(typeof REMARKS)[number][0], string[]>;
  custom_response_headers?: Record<string, string>;
  hwid_settings?: { enabled: boolean; fallback_device_limit: number; max_devices_announce: string | null };
}

/** Only the fields sent: the panel's update is partial. */
export function toPanelSettings(uuid: string, changes: SettingsChanges): Record<string, unknown> {
  const body: Record<string, unknown> = { uuid };
  if (changes.serve_json_at_base_subscription !== undefined) body.serveJsonAtBaseSubscription = changes.serve_json_at_base_subscription;
  if (changes.is_show_custom_remarks !== undefined) body.isShowCustomRemarks = changes.is_show_custom_remarks;
  if (changes.randomize_hosts !== undefined) body.randomizeHosts = changes.randomize_hosts;
  if (changes.custom_remarks) body.customRemarks = Object.fromEntries(REMARKS.map(([ours, theirs]) => [theirs, changes.custom_remarks?.[ours]]));
  if (changes.custom_response_headers) body.customResponseHeaders = changes.custom_response_headers;
  if (changes.hwid_settings) {
    const { enabled, fallback_device_limit: fallbackDeviceLimit, max_devices_announce: maxDevicesAnnounce } = changes.hwid_settings;
    body.hwidSettings = { enabled, fallbackDeviceLimit, maxDevicesAnnounce };
  }
  return body;
}

export const toTemplate = (template: PanelSubscriptionTemplate) => ({
  uuid: template.uuid,
  name: template.name,
  view_position: template.viewPosition,
  template_type: template.templateType,
  template_json: template.templateJson ?? null,
  encoded_template_yaml: template.encodedTemplateYaml ?? null,
});

export const toNodePlugin = (plugin: PanelNodePlugin) => ({ uuid: plugin.uuid, name: plugin.name, view_position: plugin.viewPosition, plugin_config: plugin.pluginConfig ?? null });

export const toServerUsage = (usage: PanelNodeUsersUsage) => ({
  days: usage.categories,
  bytes_per_day: usage.sparklineData,
  top_users: usage.topUsers.map((user) => ({ username: user.username, bytes: user.total })),
});

export const toUserUsage = (usage: PanelUserUsage) => ({
  days: usage.categories,
  bytes_per_day: usage.sparklineData,
  servers: usage.series.map((node) => ({ uuid: node.uuid, name: node.name, country_code: node.countryCode, bytes: node.total, bytes_per_day: node.data })),
});

/** The UTC day of a validated date, as the panel's date-only query fields want it. */
export const utcDay = (value: unknown): string => (value as Date).toISOString().slice(0, 10);

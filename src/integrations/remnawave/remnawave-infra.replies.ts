import Joi from 'joi';

/** Nodes, hosts, config profiles and system stats of Remnawave 3.4: the fields this service reads. */
export interface PanelNode {
  uuid: string;
  name: string;
  address: string;
  port: number | null;
  isConnected: boolean;
  isConnecting: boolean;
  isDisabled: boolean;
  countryCode: string;
  trafficUsedBytes: number | null;
  usersOnline: number;
}

export const panelNodeSchema = Joi.object({
  uuid: Joi.string().guid().required(),
  name: Joi.string().required(),
  address: Joi.string().required(),
  port: Joi.number().integer().allow(null).required(),
  isConnected: Joi.boolean().required(),
  isConnecting: Joi.boolean().required(),
  isDisabled: Joi.boolean().required(),
  countryCode: Joi.string().allow('').required(),
  trafficUsedBytes: Joi.number().allow(null).required(),
  usersOnline: Joi.number().min(0).required(),
}).unknown(true);

export const panelNodeListSchema = Joi.array().items(panelNodeSchema).required();

export interface PanelInbound {
  uuid: string;
  profileUuid: string;
  tag: string;
  type: string;
  network: string | null;
  security: string | null;
  port: number | null;
}

const panelInboundSchema = Joi.object({
  uuid: Joi.string().guid().required(),
  profileUuid: Joi.string().guid().required(),
  tag: Joi.string().required(),
  type: Joi.string().required(),
  network: Joi.string().allow(null).required(),
  security: Joi.string().allow(null).required(),
  port: Joi.number().allow(null).required(),
}).unknown(true);

export interface PanelConfigProfile {
  uuid: string;
  name: string;
  viewPosition: number;
  inbounds: PanelInbound[];
}

export const panelConfigProfileSchema = Joi.object({
  uuid: Joi.string().guid().required(),
  name: Joi.string().required(),
  viewPosition: Joi.number().integer().required(),
  inbounds: Joi.array().items(panelInboundSchema).required(),
}).unknown(true);

export const panelConfigProfilesSchema = Joi.object({
  total: Joi.number().integer().min(0).required(),
  configProfiles: Joi.array().items(panelConfigProfileSchema).required(),
}).unknown(true);

export const panelInboundsSchema = Joi.object({
  total: Joi.number().integer().min(0).required(),
  inbounds: Joi.array().items(panelInboundSchema).required(),
}).unknown(true);

export interface PanelHost {
  uuid: string;
  remark: string;
  address: string;
  port: number;
  path: string | null;
  sni: string | null;
  host: string | null;
  alpn: string | null;
  isDisabled: boolean;
  inbound: { configProfileUuid: string | null; configProfileInboundUuid: string | null };
}

export const panelHostSchema = Joi.object({
  uuid: Joi.string().guid().required(),
  remark: Joi.string().required(),
  address: Joi.string().allow('').required(),
  port: Joi.number().integer().required(),
  path: Joi.string().allow(null, '').required(),
  sni: Joi.string().allow(null, '').required(),
  host: Joi.string().allow(null, '').required(),
  alpn: Joi.string().allow(null).required(),
  isDisabled: Joi.boolean().required(),
  inbound: Joi.object({
    configProfileUuid: Joi.string().guid().allow(null).required(),
    configProfileInboundUuid: Joi.string().guid().allow(null).required(),
  })
    .unknown(true)
    .required(),
}).unknown(true);

export const panelHostListSchema = Joi.array().items(panelHostSchema).required();

export interface PanelSystemStats {
  users: { totalUsers: number; statusCounts: Record<string, number> };
  onlineStats: { onlineNow: number };
  nodes: { totalOnline: number; totalBytesLifetime: string };
}

export const panelSystemStatsSchema = Joi.object({
  users: Joi.object({
    totalUsers: Joi.number().integer().min(0).required(),
    statusCounts: Joi.object().pattern(Joi.string(), Joi.number().min(0)).required(),
  })
    .unknown(true)
    .required(),
  onlineStats: Joi.object({ onlineNow: Joi.number().min(0).required() }).unknown(true).required(),
  nodes: Joi.object({
    totalOnline: Joi.number().min(0).required(),
    // A BigInt count of bytes, sent as a decimal string.
    totalBytesLifetime: Joi.string().pattern(/^\d+$/).required(),
  })
    .unknown(true)
    .required(),
}).unknown(true);

export const panelHealthSchema = Joi.object({ runtimeMetrics: Joi.array().required() }).unknown(true);

/**
 * Bandwidth of Remnawave 3.4. `GET /api/bandwidth-stats/nodes/` (nodes usage by date range) is
 * the only by-period figure, and it is a total per node: no upload/download split. The split
 * exists only in `GET /api/system/nodes/metrics`: each inbound's upload and download counters
 * (decimal strings), counted since the node's core started.
 */
export interface PanelNodesUsage {
  series: { uuid: string; total: number }[];
}

export const panelNodesUsageSchema = Joi.object({
  series: Joi.array()
    .items(Joi.object({ uuid: Joi.string().guid().required(), total: Joi.number().min(0).required() }).unknown(true))
    .required(),
}).unknown(true);

export interface PanelNodesMetrics {
  nodes: { nodeUuid: string; inboundsStats: { tag: string; upload: string; download: string }[] }[];
}

const counter = Joi.string().pattern(/^\d+$/).required();

export const panelNodesMetricsSchema = Joi.object({
  nodes: Joi.array()
    .items(
      Joi.object({
        nodeUuid: Joi.string().required(),
        inboundsStats: Joi.array()
          .items(Joi.object({ tag: Joi.string().required(), upload: counter, download: counter }).unknown(true))
          .required(),
      }).unknown(true),
    )
    .required(),
}).unknown(true);

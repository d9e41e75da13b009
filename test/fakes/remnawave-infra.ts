import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
// AGPL-3.0, tests only (see test/fakes/remnawave.ts).
import {
  CreateHostCommand,
  CreateNodeCommand,
  DeleteHostCommand,
  DeleteNodeCommand,
  DisableNodeCommand,
  EnableNodeCommand,
  GetHostsCommand,
  GetAllInboundsCommand,
  GetConfigProfilesCommand,
  GetHostCommand,
  GetNodeCommand,
  GetNodesCommand,
  GetRemnawaveHealthCommand,
  GetStatsCommand,
  GetStatsNodesUsageCommand,
  GetNodesMetricsCommand,
  RestartNodeCommand,
  UpdateHostCommand,
  UpdateNodeCommand,
} from '@remnawave/backend-contract';
import type { FakeRemnawave, PanelRequest, ZodLike } from './remnawave';

/**
 * The fake panel's nodes, config profiles (with inbounds), hosts and system endpoints, checked
 * against the contract like the user endpoints. State is plain records in the panel's own shape.
 */
export interface StoredNode {
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
  activeConfigProfileUuid: string | null;
  activeInbounds: string[];
}

export interface StoredInbound {
  uuid: string;
  profileUuid: string;
  tag: string;
  type: string;
  network: string | null;
  security: string | null;
  port: number | null;
}

export interface StoredProfile {
  uuid: string;
  name: string;
  viewPosition: number;
  inbounds: StoredInbound[];
  /** The Xray JSON; the panel's default is an empty object. */
  config?: Record<string, unknown>;
}

export interface StoredHost {
  uuid: string;
  remark: string;
  address: string;
  port: number;
  path: string | null;
  sni: string | null;
  host: string | null;
  alpn: string | null;
  isDisabled: boolean;
  configProfileUuid: string;
  configProfileInboundUuid: string;
}

export interface PanelStats {
  totalUsers: number;
  statusCounts: Record<'ACTIVE' | 'DISABLED' | 'LIMITED' | 'EXPIRED', number>;
  onlineNow: number;
  totalBytesLifetime: string;
}

const NOT_FOUND = {
  node: { status: 404, message: 'Node not found', errorCode: 'A011' },
  host: { status: 404, message: 'Host not found', errorCode: 'A046' },
} as const;

const now = () => new Date().toISOString();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FakePanelInfra {
  readonly nodes = new Map<string, StoredNode>();
  readonly profiles: StoredProfile[] = [];
  readonly hosts = new Map<string, StoredHost>();
  stats: PanelStats | undefined;
  /** Bytes per node per UTC day (YYYY-MM-DD), what nodes usage by range sums. */
  readonly dailyUsage = new Map<string, Map<string, number>>();
  /** Inbound upload/download counters per node, what the nodes metrics report. */
  readonly inboundCounters = new Map<string, { upload: bigint; download: bigint }>();

  constructor(private readonly panel: FakeRemnawave) {}

  /** Traffic of a node on a day (the node seeded if need be). */
  seedUsage(nodeUuid: string, day: string, bytes: number): void {
    const days = this.dailyUsage.get(nodeUuid) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + bytes);
    this.dailyUsage.set(nodeUuid, days);
  }

  clear(): void {
    this.dailyUsage.clear();
    this.inboundCounters.clear();
    this.nodes.clear();
    this.profiles.length = 0;
    this.hosts.clear();
    this.stats = undefined;
  }

  seedProfile(inboundCount = 2, overrides: Partial<Omit<StoredProfile, 'inbounds'>> = {}): StoredProfile {
    const uuid = overrides.uuid ?? randomUUID();
    const profile: StoredProfile = {
      uuid,
      name: `profile-${this.profiles.length + 1}`,
      viewPosition: this.profiles.length + 1,
      ...overrides,
      inbounds: Array.from({ length: inboundCount }, (_, i) => ({
        uuid: randomUUID(),
        profileUuid: uuid,
        tag: `VLESS_TCP_${i + 1}`,
        type: 'vless',
        network: 'tcp',
        security: 'reality',
        port: 443 + i,
      })),
    };
    this.profiles.push(profile);
    return profile;
  }

  seedNode(overrides: Partial<StoredNode> = {}): StoredNode {
    const node: StoredNode = {
      uuid: randomUUID(),
      name: `node-${this.nodes.size + 1}`,
      address: `10.0.0.${this.nodes.size + 1}`,
      port: 2222,
      isConnected: true,
      isConnecting: false,
      isDisabled: false,
      countryCode: 'DE',
      trafficUsedBytes: 0,
      usersOnline: 0,
      activeConfigProfileUuid: null,
      activeInbounds: [],
      ...overrides,
    };
    this.nodes.set(node.uuid, node);
    return node;
  }

  seedHost(overrides: Partial<StoredHost> = {}): StoredHost {
    const profile = this.profiles[0] ?? this.seedProfile();
    const host: StoredHost = {
      uuid: randomUUID(),
      remark: `host-${this.hosts.size + 1}`,
      address: 'vpn.example.test',
      port: 443,
      path: null,
      sni: null,
      host: null,
      alpn: null,
      isDisabled: false,
      configProfileUuid: profile.uuid,
      configProfileInboundUuid: profile.inbounds[0]?.uuid ?? randomUUID(),
      ...overrides,
    };
    this.hosts.set(host.uuid, host);
    return host;
  }

  /** True when the request was one of these endpoints (answered). */
  route(request: PanelRequest, res: ServerResponse): boolean {
    const { method, path } = request;
    const node = /^\/api\/nodes\/([^/]+)$/.exec(path);
    const nodeAction = /^\/api\/nodes\/([^/]+)\/actions\/(enable|disable|restart)$/.exec(path);
    const host = /^\/api\/hosts\/([^/]+)$/.exec(path);

    if (method === 'GET' && path === '/api/nodes') {
      this.panel.reply(res, request, 200, GetNodesCommand, { response: [...this.nodes.values()].map((n) => this.nodeShape(n)) });
    } else if (method === 'POST' && path === '/api/nodes') this.createNode(request, res);
    else if (method === 'PATCH' && path === '/api/nodes') this.updateNode(request, res);
    else if (method === 'GET' && node) this.withNode(request, res, GetNodeCommand, node[1], (n) => this.panel.reply(res, request, 200, GetNodeCommand, { response: this.nodeShape(n) }));
    else if (method === 'DELETE' && node) {
      this.withNode(request, res, DeleteNodeCommand, node[1], (n) => {
        this.nodes.delete(n.uuid);
        res.writeHead(204).end();
      });
    } else if (method === 'POST' && nodeAction) this.nodeAction(request, res, nodeAction[1], nodeAction[2] as 'enable' | 'disable' | 'restart');
    else if (method === 'GET' && path === '/api/config-profiles') {
      this.panel.reply(res, request, 200, GetConfigProfilesCommand, { response: { total: this.profiles.length, configProfiles: this.profiles.map((p) => this.profileShape(p)) } });
    } else if (method === 'GET' && path === '/api/config-profiles/inbounds') {
      const inbounds = this.profiles.flatMap((p) => p.inbounds.map((i) => ({ ...i, rawInbound: null, activeSquads: [] })));
      this.panel.reply(res, request, 200, GetAllInboundsCommand, { response: { total: inbounds.length, inbounds } });
    } else if (method === 'GET' && path === '/api/hosts') {
      this.panel.reply(res, request, 200, GetHostsCommand, { response: [...this.hosts.values()].map((h) => this.hostShape(h)) });
    } else if (method === 'POST' && path === '/api/hosts') this.createHost(request, res);
    else if (method === 'PATCH' && path === '/api/hosts') this.updateHost(request, res);
    else if (method === 'GET' && host) this.withHost(request, res, GetHostCommand, host[1], (h) => this.panel.reply(res, request, 200, GetHostCommand, { response: this.hostShape(h) }));
    else if (method === 'DELETE' && host) {
      this.withHost(request, res, DeleteHostCommand, host[1], (h) => {
        this.hosts.delete(h.uuid);
        res.writeHead(204).end();
      });
    } else if (method === 'GET' && path === '/api/system/stats') this.systemStats(request, res);
    else if (method === 'GET' && path === '/api/bandwidth-stats/nodes') this.nodesUsage(request, res);
    else if (method === 'GET' && path === '/api/system/nodes/metrics') this.nodesMetrics(request, res);
    else if (method === 'GET' && path === '/api/system/health') {
      this.panel.reply(res, request, 200, GetRemnawaveHealthCommand, { response: { runtimeMetrics: [] } });
    } else return false;
    return true;
  }

  private createNode(request: PanelRequest, res: ServerResponse): void {
    const parsed = CreateNodeCommand.RequestBodySchema.safeParse(request.body);
    if (!parsed.success) return this.panel.invalid(request, res, `body: ${parsed.error.message}`);
    const body = parsed.data;
    const node = this.seedNode({
      name: body.name,
      address: body.address,
      port: body.port ?? null,
      countryCode: body.countryCode,
      isConnected: false,
      activeConfigProfileUuid: body.configProfile.activeConfigProfileUuid,
      activeInbounds: body.configProfile.activeInbounds,
    });
    this.panel.reply(res, request, 201, CreateNodeCommand, { response: this.nodeShape(node) });
  }

  private updateNode(request: PanelRequest, res: ServerResponse): void {
    const parsed = UpdateNodeCommand.RequestBodySchema.safeParse(request.body);
    if (!parsed.success) return this.panel.invalid(request, res, `body: ${parsed.error.message}`);
    const node = this.nodes.get(parsed.data.uuid);
    if (!node) return this.panel.error(res, request, NOT_FOUND.node);
    const { name, address, port, countryCode } = parsed.data;
    Object.assign(node, { ...(name && { name }), ...(address && { address }), ...(port && { port }), ...(countryCode && { countryCode }) });
    this.panel.reply(res, request, 200, UpdateNodeCommand, { response: this.nodeShape(node) });
  }

  private nodeAction(request: PanelRequest, res: ServerResponse, rawUuid: string | undefined, action: 'enable' | 'disable' | 'restart'): void {
    const command = { enable: EnableNodeCommand, disable: DisableNodeCommand, restart: RestartNodeCommand }[action];
    if (action === 'restart' && !this.panel.conforms(`POST ${request.path} body`, RestartNodeCommand.RequestBodySchema, request.body)) {
      return this.panel.invalid(request, res, 'body');
    }
    this.withNode(request, res, command, rawUuid, (node) => {
      if (action === 'restart') {
        res.writeHead(202, { 'Content-Type': 'application/json' }).end(JSON.stringify({ response: { eventSent: true } }));
        return;
      }
      node.isDisabled = action === 'disable';
      if (node.isDisabled) node.isConnected = false;
      this.panel.reply(res, request, 200, command as { ResponseSchema: ZodLike }, { response: this.nodeShape(node) });
    });
  }

  private createHost(request: PanelRequest, res: ServerResponse): void {
    const parsed = CreateHostCommand.RequestBodySchema.safeParse(request.body);
    if (!parsed.success) return this.panel.invalid(request, res, `body: ${parsed.error.message}`);
    const body = parsed.data;
    const host = this.seedHost({
      remark: body.remark,
      address: body.address,
      port: body.port,
      path: body.path ?? null,
      sni: body.sni ?? null,
      host: body.host ?? null,
      alpn: body.alpn ?? null,
      isDisabled: body.isDisabled ?? false,
      configProfileUuid: body.inbound.configProfileUuid,
      configProfileInboundUuid: body.inbound.configProfileInboundUuid,
    });
    this.panel.reply(res, request, 201, CreateHostCommand, { response: this.hostShape(host) });
  }

  private updateHost(request: PanelRequest, res: ServerResponse): void {
    const parsed = UpdateHostCommand.RequestBodySchema.safeParse(request.body);
    if (!parsed.success) return this.panel.invalid(request, res, `body: ${parsed.error.message}`);
    const host = this.hosts.get(parsed.data.uuid);
    if (!host) return this.panel.error(res, request, NOT_FOUND.host);
    const body = request.body as Record<string, unknown>;
    for (const key of ['remark', 'address', 'port', 'path', 'sni', 'host', 'alpn', 'isDisabled'] as const) {
      if (key in body) (host as unknown as Record<string, unknown>)[key] = body[key] ?? null;
    }
    if (parsed.data.inbound) {
      host.configProfileUuid = parsed.data.inbound.configProfileUuid;
      host.configProfileInboundUuid = parsed.data.inbound.configProfileInboundUuid;
    }
    this.panel.reply(res, request, 200, UpdateHostCommand, { response: this.hostShape(host) });
  }

  /** Nodes usage by range as 3.4 answers it: a series per node, one value per day, with its total. */
  private nodesUsage(request: PanelRequest, res: ServerResponse): void {
    const query = GetStatsNodesUsageCommand.RequestQuerySchema.safeParse(request.query);
    if (!query.success) return this.panel.invalid(request, res, `query: ${query.error.message}`);
    const { start, end } = query.data as { start: string; end: string };
    const days: string[] = [];
    for (let day = Date.parse(`${start}T00:00:00Z`); day <= Date.parse(`${end}T00:00:00Z`); day += 86_400_000) days.push(new Date(day).toISOString().slice(0, 10));
    const series = [...this.dailyUsage.entries()].map(([uuid, usage]) => {
      const node = this.nodes.get(uuid);
      const data = days.map((day) => usage.get(day) ?? 0);
      return { uuid, name: node?.name ?? 'node', color: '#3366ff', countryCode: node?.countryCode ?? 'XX', total: data.reduce((a, b) => a + b, 0), data };
    });
    this.panel.reply(res, request, 200, GetStatsNodesUsageCommand, {
      response: {
        categories: days,
        sparklineData: days.map((_, i) => series.reduce((sum, node) => sum + (node.data[i] ?? 0), 0)),
        topNodes: series.map(({ data: _data, ...node }) => node),
        series,
      },
    });
  }

  private nodesMetrics(request: PanelRequest, res: ServerResponse): void {
    const nodes = [...this.inboundCounters.entries()].map(([nodeUuid, counters]) => ({
      nodeUuid,
      nodeName: this.nodes.get(nodeUuid)?.name ?? 'node',
      countryEmoji: '🇩🇪',
      providerName: 'test',
      usersOnline: 0,
      inboundsStats: [{ tag: 'VLESS_TCP_1', upload: String(counters.upload), download: String(counters.download) }],
      outboundsStats: [{ tag: 'DIRECT', upload: String(counters.download), download: String(counters.upload) }],
    }));
    this.panel.reply(res, request, 200, GetNodesMetricsCommand, { response: { nodes } });
  }

  private systemStats(request: PanelRequest, res: ServerResponse): void {
    const users = [...(this.panel as unknown as { users: Map<number, { status: keyof PanelStats['statusCounts'] }> }).users.values()];
    const counts = { ACTIVE: 0, DISABLED: 0, LIMITED: 0, EXPIRED: 0 };
    for (const user of users) counts[user.status] += 1;
    const stats = this.stats ?? { totalUsers: users.length, statusCounts: counts, onlineNow: 0, totalBytesLifetime: '0' };
    this.panel.reply(res, request, 200, GetStatsCommand, {
      response: {
        cpu: { cores: 2 },
        memory: { total: 4e9, free: 2e9, used: 2e9 },
        uptime: 1000,
        timestamp: Date.now(),
        users: { statusCounts: stats.statusCounts, totalUsers: stats.totalUsers },
        onlineStats: { lastDay: 0, lastWeek: 0, neverOnline: 0, onlineNow: stats.onlineNow },
        nodes: { totalOnline: [...this.nodes.values()].filter((n) => n.isConnected).length, totalBytesLifetime: stats.totalBytesLifetime },
      },
    });
  }

  private withNode(request: PanelRequest, res: ServerResponse, command: { RequestParamSchema: ZodLike }, rawUuid: string | undefined, then: (node: StoredNode) => void): void {
    if (!this.panel.conforms(`${request.method} ${request.path} params`, command.RequestParamSchema, { uuid: rawUuid })) return this.panel.invalid(request, res, 'params');
    const node = rawUuid && UUID.test(rawUuid) ? this.nodes.get(rawUuid) : undefined;
    if (!node) return this.panel.error(res, request, NOT_FOUND.node);
    then(node);
  }

  private withHost(request: PanelRequest, res: ServerResponse, command: { RequestParamSchema: ZodLike }, rawUuid: string | undefined, then: (host: StoredHost) => void): void {
    if (!this.panel.conforms(`${request.method} ${request.path} params`, command.RequestParamSchema, { uuid: rawUuid })) return this.panel.invalid(request, res, 'params');
    const host = rawUuid ? this.hosts.get(rawUuid) : undefined;
    if (!host) return this.panel.error(res, request, NOT_FOUND.host);
    then(host);
  }

  private nodeShape(node: StoredNode): Record<string, unknown> {
    const profile = this.profiles.find((p) => p.uuid === node.activeConfigProfileUuid);
    return {
      uuid: node.uuid,
      id: [...this.nodes.keys()].indexOf(node.uuid) + 1,
      name: node.name,
      address: node.address,
      port: node.port,
      proxyUrl: null,
      isConnected: node.isConnected,
      isDisabled: node.isDisabled,
      isConnecting: node.isConnecting,
      lastStatusChange: now(),
      lastStatusMessage: null,
      isTrafficTrackingActive: false,
      trafficResetDay: null,
      trafficLimitBytes: null,
      trafficUsedBytes: node.trafficUsedBytes,
      notifyPercent: null,
      viewPosition: 1,
      countryCode: node.countryCode,
      consumptionMultiplier: 1,
      nodeConsumptionMultiplier: 1,
      tags: [],
      integrationUuids: [],
      ips: [],
      createdAt: now(),
      updatedAt: now(),
      configProfile: {
        activeConfigProfileUuid: node.activeConfigProfileUuid,
        activeInbounds: (profile?.inbounds ?? []).filter((i) => node.activeInbounds.includes(i.uuid)).map((i) => ({ ...i, rawInbound: null })),
      },
      providerUuid: null,
      provider: null,
      activePluginUuid: null,
      system: null,
      versions: null,
      xrayUptime: 0,
      usersOnline: node.usersOnline,
      note: null,
    };
  }

  /** Public for the admin commands (test/fakes/remnawave-admin.ts), which answer profiles too. */
  profileShape(profile: StoredProfile): Record<string, unknown> {
    return {
      uuid: profile.uuid,
      viewPosition: profile.viewPosition,
      name: profile.name,
      tags: [],
      config: profile.config ?? {},
      inbounds: profile.inbounds.map((i) => ({ ...i, rawInbound: null })),
      nodes: [],
      createdAt: now(),
      updatedAt: now(),
    };
  }

  private hostShape(host: StoredHost): Record<string, unknown> {
    return {
      uuid: host.uuid,
      viewPosition: 1,
      remark: host.remark,
      address: host.address,
      port: host.port,
      path: host.path,
      sni: host.sni,
      host: host.host,
      alpn: host.alpn,
      fingerprint: null,
      isDisabled: host.isDisabled,
      securityLayer: 'DEFAULT',
      xhttpExtraParams: null,
      muxParams: null,
      sockoptParams: null,
      finalMask: null,
      inbound: { configProfileUuid: host.configProfileUuid, configProfileInboundUuid: host.configProfileInboundUuid },
      serverDescription: null,
      tags: [],
      isHidden: false,
      overrideSniFromAddress: false,
      keepSniBlank: false,
      vlessRouteId: null,
      pinnedPeerCertSha256: null,
      verifyPeerCertByName: null,
      shuffleHost: false,
      mihomoX25519: false,
      mihomoIpVersion: null,
      nodes: [],
      xrayJsonTemplateUuid: null,
      excludeFromSubscriptionTypes: [],
      mapper: {},
      internalSquads: { mode: 'EXCLUDE', squads: [] },
    };
  }
}

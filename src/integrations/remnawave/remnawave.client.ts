import type { CircuitState } from 'cockatiel';
import {
  panelUserPageSchema,
  panelUserSchema,
  panelUserStreamSchema,
  type PanelUser,
  type PanelUserPage,
  type PanelUserStatus,
  type PanelUserStream,
} from './remnawave.replies';
import type { PanelCall, RemnawaveTransport } from './remnawave.transport';
import {
  panelConfigProfilesSchema,
  panelHealthSchema,
  panelHostListSchema,
  panelHostSchema,
  panelInboundsSchema,
  panelNodeListSchema,
  panelNodeSchema,
  panelNodesMetricsSchema,
  panelNodesUsageSchema,
  panelSystemStatsSchema,
  type PanelConfigProfile,
  type PanelHost,
  type PanelInbound,
  type PanelNode,
  type PanelNodesMetrics,
  type PanelNodesUsage,
  type PanelSystemStats,
} from './remnawave-infra.replies';

/**
 * The Remnawave 3.4 REST API as this service uses it (paths, methods and bodies from the panel's
 * published contract; users are addressed by their numeric id). One singleton: it owns the socket
 * pool and the circuit breaker through its transport.
 */
const USER = 'VPN user';
const NODE = 'Server';
const HOST = 'Host';
const PANEL = 'VPN panel';
/** Nodes a usage answer may list: more than any deployment of ours has, so none is left out. */
const NODES_USAGE_LIMIT = 1000;

export interface NewPanelNode {
  name: string;
  address: string;
  port?: number;
  countryCode?: string;
  configProfile: { activeConfigProfileUuid: string; activeInbounds: string[] };
}

export interface PanelNodeChanges {
  name?: string;
  address?: string;
  port?: number;
  countryCode?: string;
}

export interface PanelHostFields {
  remark?: string;
  address?: string;
  port?: number;
  sni?: string | null;
  host?: string | null;
  path?: string | null;
  alpn?: string | null;
  isDisabled?: boolean;
  inbound?: { configProfileUuid: string; configProfileInboundUuid: string };
}

export interface NewPanelUser {
  username: string;
  expireAt: string;
  trafficLimitBytes?: number;
  email?: string | null;
  telegramId?: number | null;
  description?: string;
}

export interface PanelUserChanges {
  status?: Extract<PanelUserStatus, 'ACTIVE' | 'DISABLED'>;
  expireAt?: string;
  trafficLimitBytes?: number;
  email?: string | null;
  telegramId?: number | null;
  description?: string | null;
}

export type PanelUserAction = 'enable' | 'disable' | 'reset-traffic' | 'revoke';

export interface UserFilter {
  field: 'username';
  value: string;
}

export class RemnawaveClient {
  private readonly transport: RemnawaveTransport;

  constructor({ remnawaveTransport }: { remnawaveTransport: RemnawaveTransport }) {
    this.transport = remnawaveTransport;
  }

  get breakerState(): CircuitState {
    return this.transport.breakerState;
  }

  /** Offset paging (`start`, `size`); `total` is the panel's count of every match. */
  listUsers(start: number, size: number, filter?: UserFilter): Promise<PanelUserPage> {
    const query: Record<string, string | number> = { start, size };
    if (filter) {
      query.filters = JSON.stringify([{ id: filter.field, value: filter.value }]);
      query.filterModes = JSON.stringify({ [filter.field]: 'contains' });
    }
    return this.transport.send({ method: 'GET', path: '/api/users', query, entity: USER, reply: panelUserPageSchema });
  }

  /** Keyset stream with exact filters (the list's telegramId filter is a substring match). */
  streamUsers(filter: { telegramId?: number; email?: string }, cursor?: string, size = 250): Promise<PanelUserStream> {
    const query: Record<string, string | number> = { size };
    if (cursor !== undefined) query.cursor = cursor;
    if (filter.telegramId !== undefined) query.telegramId = filter.telegramId;
    if (filter.email !== undefined) query.email = filter.email;
    return this.transport.send({ method: 'GET', path: '/api/users/stream', query, entity: USER, reply: panelUserStreamSchema });
  }

  getUser(id: number): Promise<PanelUser> {
    return this.transport.send({ method: 'GET', path: `/api/users/${id}`, entity: USER, reply: panelUserSchema });
  }

  createUser(user: NewPanelUser): Promise<PanelUser> {
    return this.transport.send({ method: 'POST', path: '/api/users', body: user, entity: USER, reply: panelUserSchema });
  }

  /** Absolute values only, so sending it twice is harmless: retried like a read. */
  updateUser(id: number, changes: PanelUserChanges): Promise<PanelUser> {
    return this.transport.send({ method: 'PATCH', path: '/api/users', body: { id, ...changes }, idempotent: true, entity: USER, reply: panelUserSchema });
  }

  deleteUser(id: number): Promise<void> {
    return this.transport.send({ method: 'DELETE', path: `/api/users/${id}`, entity: USER });
  }

  /** enable and disable set a state (idempotent); reset-traffic and revoke are not retried. */
  userAction(id: number, action: PanelUserAction): Promise<PanelUser> {
    return this.transport.send({
      method: 'POST',
      path: `/api/users/${id}/actions/${action}`,
      body: action === 'revoke' ? {} : undefined,
      idempotent: action === 'enable' || action === 'disable',
      entity: USER,
      reply: panelUserSchema,
    });
  }

  // Nodes: the panel calls its servers nodes; listed whole, addressed by uuid.
  listNodes(): Promise<PanelNode[]> {
    return this.transport.send({ method: 'GET', path: '/api/nodes', entity: NODE, reply: panelNodeListSchema });
  }

  getNode(uuid: string): Promise<PanelNode> {
    return this.transport.send({ method: 'GET', path: `/api/nodes/${uuid}`, entity: NODE, reply: panelNodeSchema });
  }

  createNode(node: NewPanelNode): Promise<PanelNode> {
    return this.transport.send({ method: 'POST', path: '/api/nodes', body: node, entity: NODE, reply: panelNodeSchema });
  }

  updateNode(uuid: string, changes: PanelNodeChanges): Promise<PanelNode> {
    return this.transport.send({ method: 'PATCH', path: '/api/nodes', body: { uuid, ...changes }, idempotent: true, entity: NODE, reply: panelNodeSchema });
  }

  deleteNode(uuid: string): Promise<void> {
    return this.transport.send({ method: 'DELETE', path: `/api/nodes/${uuid}`, entity: NODE });
  }

  nodeAction(uuid: string, action: 'enable' | 'disable'): Promise<PanelNode> {
    return this.transport.send({ method: 'POST', path: `/api/nodes/${uuid}/actions/${action}`, idempotent: true, entity: NODE, reply: panelNodeSchema });
  }

  /** Answers 202: the panel restarts the node in the background. */
  restartNode(uuid: string): Promise<void> {
    return this.transport.send({ method: 'POST', path: `/api/nodes/${uuid}/actions/restart`, body: { forceRestart: false }, entity: NODE });
  }

  async listConfigProfiles(): Promise<PanelConfigProfile[]> {
    const reply = await this.transport.send<{ configProfiles: PanelConfigProfile[] }>({
      method: 'GET',
      path: '/api/config-profiles',
      entity: PANEL,
      reply: panelConfigProfilesSchema,
    });
    return reply.configProfiles;
  }

  async listInbounds(): Promise<PanelInbound[]> {
    const reply = await this.transport.send<{ inbounds: PanelInbound[] }>({ method: 'GET', path: '/api/config-profiles/inbounds', entity: PANEL, reply: panelInboundsSchema });
    return reply.inbounds;
  }

  // Hosts: the addresses subscriptions hand out for an inbound.
  listHosts(): Promise<PanelHost[]> {
    return this.transport.send({ method: 'GET', path: '/api/hosts', entity: HOST, reply: panelHostListSchema });
  }

  getHost(uuid: string): Promise<PanelHost> {
    return this.transport.send({ method: 'GET', path: `/api/hosts/${uuid}`, entity: HOST, reply: panelHostSchema });
  }

  createHost(host: PanelHostFields & Required<Pick<PanelHostFields, 'remark' | 'address' | 'port' | 'inbound'>>): Promise<PanelHost> {
    return this.transport.send({ method: 'POST', path: '/api/hosts', body: host, entity: HOST, reply: panelHostSchema });
  }

  updateHost(uuid: string, changes: PanelHostFields): Promise<PanelHost> {
    return this.transport.send({ method: 'PATCH', path: '/api/hosts', body: { uuid, ...changes }, idempotent: true, entity: HOST, reply: panelHostSchema });
  }

  deleteHost(uuid: string): Promise<void> {
    return this.transport.send({ method: 'DELETE', path: `/api/hosts/${uuid}`, entity: HOST });
  }

  // System: what monitoring reads.
  systemStats(): Promise<PanelSystemStats> {
    return this.transport.send({ method: 'GET', path: '/api/system/stats', entity: PANEL, reply: panelSystemStatsSchema });
  }

  /** Traffic per node between two dates (YYYY-MM-DD, inclusive): totals only. */
  nodesUsage(start: string, end: string): Promise<PanelNodesUsage> {
    // The contract's path has the trailing slash.
    const query = { start, end, topNodesLimit: NODES_USAGE_LIMIT };
    return this.transport.send({ method: 'GET', path: '/api/bandwidth-stats/nodes/', query, entity: PANEL, reply: panelNodesUsageSchema });
  }

  /** Inbound upload/download counters of every node, since its core started. */
  nodesMetrics(): Promise<PanelNodesMetrics> {
    return this.transport.send({ method: 'GET', path: '/api/system/nodes/metrics', entity: PANEL, reply: panelNodesMetricsSchema });
  }

  /**
   * One command of the pass-through table (src/modules/panel/panel-routes.table.ts): the row names
   * the contract's method, path and reply schema, so those routes need no method here each.
   */
  call<T>(call: PanelCall): Promise<T> {
    return this.transport.send(call);
  }

  /** Any valid answer means the panel is up; used by /monitoring/health. */
  async health(): Promise<void> {
    await this.transport.send({ method: 'GET', path: '/api/system/health', entity: PANEL, reply: panelHealthSchema });
  }
}

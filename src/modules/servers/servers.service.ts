import type { PanelNodeChanges, RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import { RequestValidationError, StateConflictError } from '../../shared/errors';
import type { AuditService } from '../audit/audit.service';
import type { Geolocation, GeolocationInput, GeolocationRepository } from './geolocations.repository';
import { toServer, type Server, type ServerStatus } from './server.mapper';

/**
 * Servers are the panel's nodes: read and changed there, every change audited once the panel
 * confirmed it. Their map positions are ours (server_geolocations), keyed by node uuid.
 */
export interface NewServer {
  name: string;
  address: string;
  port?: number;
  country_code?: string;
  config_profile_uuid?: string;
  inbound_uuids?: string[];
}

export interface ServerChanges {
  name?: string;
  address?: string;
  port?: number;
  country_code?: string;
}

export type ServerStats = Record<ServerStatus | 'total' | 'disabled', number>;

export interface MapEntry {
  uuid: string;
  name: string;
  status: ServerStatus;
  country_code: string | null;
  location: Omit<Geolocation, 'node_uuid' | 'updated_at'> | null;
}

const AUDIT = { entityType: 'server' } as const;

export class ServerService {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly auditService: AuditService;
  private readonly geolocationRepository: GeolocationRepository;

  constructor(deps: { remnawaveClient: RemnawaveClient; auditService: AuditService; geolocationRepository: GeolocationRepository }) {
    this.remnawaveClient = deps.remnawaveClient;
    this.auditService = deps.auditService;
    this.geolocationRepository = deps.geolocationRepository;
  }

  async list(): Promise<Server[]> {
    return (await this.remnawaveClient.listNodes()).map(toServer);
  }

  async get(uuid: string): Promise<Server> {
    return toServer(await this.remnawaveClient.getNode(uuid));
  }

  async stats(): Promise<ServerStats> {
    const servers = await this.list();
    const count = (status: ServerStatus) => servers.filter((server) => server.status === status).length;
    return {
      total: servers.length,
      online: count('online'),
      offline: count('offline'),
      warning: count('warning'),
      maintenance: count('maintenance'),
      disabled: count('maintenance'),
    };
  }

  /** Without a profile the panel's first one is used, with every inbound it has. */
  async create(input: NewServer): Promise<Server> {
    const profiles = await this.remnawaveClient.listConfigProfiles();
    const profile = input.config_profile_uuid
      ? profiles.find((candidate) => candidate.uuid === input.config_profile_uuid)
      : [...profiles].sort((a, b) => a.viewPosition - b.viewPosition)[0];
    if (!profile && input.config_profile_uuid) {
      throw new RequestValidationError([{ loc: ['body', 'config_profile_uuid'], msg: 'no such config profile', type: 'any.invalid' }]);
    }
    if (!profile) throw new StateConflictError('no_config_profile');
    const known = new Set(profile.inbounds.map((inbound) => inbound.uuid));
    const inbounds = input.inbound_uuids ?? [...known];
    if (inbounds.some((uuid) => !known.has(uuid))) {
      throw new RequestValidationError([{ loc: ['body', 'inbound_uuids'], msg: 'not inbounds of the config profile', type: 'any.invalid' }]);
    }

    const created = toServer(
      await this.remnawaveClient.createNode({
        name: input.name,
        address: input.address,
        ...(input.port === undefined ? {} : { port: input.port }),
        ...(input.country_code === undefined ? {} : { countryCode: input.country_code }),
        configProfile: { activeConfigProfileUuid: profile.uuid, activeInbounds: inbounds },
      }),
    );
    await this.auditService.record({ action: 'server.created', ...AUDIT, entityId: created.uuid, newValue: created });
    return created;
  }

  async update(uuid: string, changes: ServerChanges): Promise<Server> {
    const before = await this.get(uuid);
    const panel: PanelNodeChanges = {};
    if (changes.name !== undefined) panel.name = changes.name;
    if (changes.address !== undefined) panel.address = changes.address;
    if (changes.port !== undefined) panel.port = changes.port;
    if (changes.country_code !== undefined) panel.countryCode = changes.country_code;
    const after = toServer(await this.remnawaveClient.updateNode(uuid, panel));
    await this.auditService.record({ action: 'server.updated', ...AUDIT, entityId: uuid, oldValue: before, newValue: after });
    return after;
  }

  async delete(uuid: string): Promise<void> {
    const before = await this.get(uuid);
    await this.remnawaveClient.deleteNode(uuid);
    await this.auditService.record({ action: 'server.deleted', ...AUDIT, entityId: uuid, oldValue: before });
  }

  async setEnabled(uuid: string, enabled: boolean): Promise<Server> {
    const before = await this.get(uuid);
    const after = toServer(await this.remnawaveClient.nodeAction(uuid, enabled ? 'enable' : 'disable'));
    await this.auditService.record({ action: enabled ? 'server.enabled' : 'server.disabled', ...AUDIT, entityId: uuid, oldValue: before, newValue: after });
    return after;
  }

  async restart(uuid: string): Promise<void> {
    await this.get(uuid);
    await this.remnawaveClient.restartNode(uuid);
    await this.auditService.record({ action: 'server.restarted', ...AUDIT, entityId: uuid });
  }

  /** The node must exist in the panel; its position is then stored (or replaced) here. */
  async setGeolocation(uuid: string, location: GeolocationInput): Promise<Geolocation> {
    await this.remnawaveClient.getNode(uuid);
    const before = await this.geolocationRepository.find(uuid);
    const saved = await this.geolocationRepository.upsert(uuid, { ...location, city: location.city ?? null });
    await this.auditService.record({ action: 'server.geolocation_set', ...AUDIT, entityId: uuid, oldValue: before, newValue: saved });
    return saved;
  }

  /** Every node with its status and location; nodes without one are on the list too (location null). */
  async map(): Promise<MapEntry[]> {
    const [servers, locations] = await Promise.all([this.list(), this.geolocationRepository.all()]);
    const byNode = new Map(locations.map((row) => [row.node_uuid, row]));
    return servers.map((server) => {
      const row = byNode.get(server.uuid);
      return {
        uuid: server.uuid,
        name: server.name,
        status: server.status,
        country_code: server.country_code,
        location: row ? { country_code: row.country_code, city: row.city, latitude: row.latitude, longitude: row.longitude } : null,
      };
    });
  }
}

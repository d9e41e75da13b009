import type { PanelHostFields, RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelHost, PanelInbound } from '../../integrations/remnawave/remnawave-infra.replies';
import { RequestValidationError, StateConflictError } from '../../shared/errors';
import type { AuditService } from '../audit/audit.service';

/** Hosts (the addresses subscriptions hand out for an inbound) and inbounds, kept by the panel. */
export interface Host {
  uuid: string;
  name: string;
  address: string;
  port: number;
  sni: string | null;
  host_header: string | null;
  path: string | null;
  alpn: string | null;
  is_disabled: boolean;
  inbound_uuid: string | null;
}

export interface HostFields {
  name?: string;
  address?: string;
  port?: number;
  sni?: string | null;
  host_header?: string | null;
  path?: string | null;
  alpn?: string | null;
  is_disabled?: boolean;
  inbound_uuid?: string;
}

export interface Inbound {
  uuid: string;
  profile_uuid: string;
  tag: string;
  type: string;
  network: string | null;
  security: string | null;
  port: number | null;
}

const blankToNull = (value: string | null) => (value === '' ? null : value);

export function toHost(host: PanelHost): Host {
  return {
    uuid: host.uuid,
    name: host.remark,
    address: host.address,
    port: host.port,
    sni: blankToNull(host.sni),
    host_header: blankToNull(host.host),
    path: blankToNull(host.path),
    alpn: host.alpn,
    is_disabled: host.isDisabled,
    inbound_uuid: host.inbound.configProfileInboundUuid,
  };
}

export const toInbound = (inbound: PanelInbound): Inbound => ({
  uuid: inbound.uuid,
  profile_uuid: inbound.profileUuid,
  tag: inbound.tag,
  type: inbound.type,
  network: inbound.network,
  security: inbound.security,
  port: inbound.port,
});

const AUDIT = { entityType: 'host' } as const;

export class HostService {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly auditService: AuditService;

  constructor({ remnawaveClient, auditService }: { remnawaveClient: RemnawaveClient; auditService: AuditService }) {
    this.remnawaveClient = remnawaveClient;
    this.auditService = auditService;
  }

  async list(): Promise<Host[]> {
    return (await this.remnawaveClient.listHosts()).map(toHost);
  }

  async get(uuid: string): Promise<Host> {
    return toHost(await this.remnawaveClient.getHost(uuid));
  }

  async listInbounds(): Promise<Inbound[]> {
    return (await this.remnawaveClient.listInbounds()).map(toInbound);
  }

  async create(input: HostFields & { name: string; address: string; port: number }): Promise<Host> {
    const inbound = await this.inboundFor(input.inbound_uuid);
    const created = toHost(await this.remnawaveClient.createHost({ ...toPanelFields(input), remark: input.name, address: input.address, port: input.port, inbound }));
    await this.auditService.record({ action: 'host.created', ...AUDIT, entityId: created.uuid, newValue: created });
    return created;
  }

  async update(uuid: string, changes: HostFields): Promise<Host> {
    const before = await this.get(uuid);
    const panel = toPanelFields(changes);
    if (changes.inbound_uuid !== undefined) panel.inbound = await this.inboundFor(changes.inbound_uuid);
    const after = toHost(await this.remnawaveClient.updateHost(uuid, panel));
    await this.auditService.record({ action: 'host.updated', ...AUDIT, entityId: uuid, oldValue: before, newValue: after });
    return after;
  }

  async delete(uuid: string): Promise<void> {
    const before = await this.get(uuid);
    await this.remnawaveClient.deleteHost(uuid);
    await this.auditService.record({ action: 'host.deleted', ...AUDIT, entityId: uuid, oldValue: before });
  }

  /** The panel wants the inbound with its profile; without one named, the first profile's first. */
  private async inboundFor(inboundUuid: string | undefined): Promise<{ configProfileUuid: string; configProfileInboundUuid: string }> {
    if (inboundUuid !== undefined) {
      const inbound = (await this.remnawaveClient.listInbounds()).find((candidate) => candidate.uuid === inboundUuid);
      if (!inbound) throw new RequestValidationError([{ loc: ['body', 'inbound_uuid'], msg: 'no such inbound', type: 'any.invalid' }]);
      return { configProfileUuid: inbound.profileUuid, configProfileInboundUuid: inbound.uuid };
    }
    const profiles = [...(await this.remnawaveClient.listConfigProfiles())].sort((a, b) => a.viewPosition - b.viewPosition);
    const profile = profiles.find((candidate) => candidate.inbounds.length > 0);
    const inbound = profile?.inbounds[0];
    if (!profile || !inbound) throw new StateConflictError('no_inbound');
    return { configProfileUuid: profile.uuid, configProfileInboundUuid: inbound.uuid };
  }
}

function toPanelFields(fields: HostFields): PanelHostFields {
  const panel: PanelHostFields = {};
  if (fields.name !== undefined) panel.remark = fields.name;
  if (fields.address !== undefined) panel.address = fields.address;
  if (fields.port !== undefined) panel.port = fields.port;
  if (fields.sni !== undefined) panel.sni = fields.sni || null;
  if (fields.host_header !== undefined) panel.host = fields.host_header || null;
  if (fields.path !== undefined) panel.path = fields.path || null;
  if (fields.alpn !== undefined) panel.alpn = fields.alpn;
  if (fields.is_disabled !== undefined) panel.isDisabled = fields.is_disabled;
  return panel;
}

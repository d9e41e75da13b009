import type { PanelNode } from '../../integrations/remnawave/remnawave-infra.replies';

/** A server (a Remnawave node) as the admin frontend reads it. */
export type ServerStatus = 'online' | 'offline' | 'warning' | 'maintenance';

export interface Server {
  uuid: string;
  name: string;
  address: string;
  port: number | null;
  status: ServerStatus;
  users_online: number;
  traffic_used_bytes: number;
  country_code: string | null;
}

/** SPEC: disabled -> maintenance, connecting -> warning, connected -> online, else offline. */
export function serverStatus(node: Pick<PanelNode, 'isDisabled' | 'isConnecting' | 'isConnected'>): ServerStatus {
  if (node.isDisabled) return 'maintenance';
  if (node.isConnecting) return 'warning';
  if (node.isConnected) return 'online';
  return 'offline';
}

export function toServer(node: PanelNode): Server {
  return {
    uuid: node.uuid,
    name: node.name,
    address: node.address,
    port: node.port,
    status: serverStatus(node),
    users_online: node.usersOnline,
    traffic_used_bytes: node.trafficUsedBytes ?? 0,
    // The panel's "no country" is XX.
    country_code: node.countryCode && node.countryCode !== 'XX' ? node.countryCode : null,
  };
}

import type { PanelUser } from '../../integrations/remnawave/remnawave.replies';

/** A VPN user as this API shows it: our lower-case statuses and snake_case, never the panel's shape. */
export type VpnUserStatus = 'active' | 'disabled' | 'limited' | 'expired';

export interface VpnUser {
  id: number;
  short_uuid: string;
  username: string;
  status: VpnUserStatus;
  expire_at: string;
  /** 0 means unlimited, as in the panel. */
  traffic_limit_bytes: number;
  used_traffic_bytes: number;
  online_at: string | null;
  email: string | null;
  telegram_id: number | null;
  description: string | null;
  subscription_url: string;
  created_at: string;
}

const iso = (value: string) => new Date(value).toISOString();

export function toVpnUser(user: PanelUser): VpnUser {
  return {
    id: user.id,
    short_uuid: user.shortUuid,
    username: user.username,
    status: user.status.toLowerCase() as VpnUserStatus,
    expire_at: iso(user.expireAt),
    traffic_limit_bytes: user.trafficLimitBytes,
    used_traffic_bytes: user.userTraffic.usedTrafficBytes,
    online_at: user.userTraffic.onlineAt === null ? null : iso(user.userTraffic.onlineAt),
    email: user.email,
    telegram_id: user.telegramId,
    description: user.description,
    subscription_url: user.subscriptionUrl,
    created_at: iso(user.createdAt),
  };
}

/**
 * What the audit log keeps of a VPN user: the subscription link and its short id are bearer
 * credentials (whoever holds them gets the VPN configuration), so they stay out.
 */
export function auditView(user: VpnUser | undefined): Omit<VpnUser, 'subscription_url' | 'short_uuid'> | undefined {
  if (!user) return undefined;
  const { subscription_url: _url, short_uuid: _short, ...rest } = user;
  return rest;
}

import type { VpnUser } from '../vpn-users/vpn-user.mapper';

/** What the Telegram bot tells a user about their subscription. */
export interface SubscriptionState {
  /** The VPN works for this user right now. */
  active: boolean;
  status: VpnUser['status'];
  expires_at: string;
  /** The panel says so, or the expiry has passed (before the panel's own job noticed). */
  expired: boolean;
  /** Whole days left, 0 once expired. */
  days_left: number;
  traffic_limit_bytes: number;
  used_traffic_bytes: number;
}

const DAY_MS = 86_400_000;

export function subscriptionState(user: VpnUser, nowMs: number): SubscriptionState {
  const left = new Date(user.expire_at).getTime() - nowMs;
  return {
    active: user.status === 'active' && left > 0,
    status: user.status,
    expires_at: user.expire_at,
    days_left: Math.max(0, Math.floor(left / DAY_MS)),
    expired: user.status === 'expired' || left <= 0,
    traffic_limit_bytes: user.traffic_limit_bytes,
    used_traffic_bytes: user.used_traffic_bytes,
  };
}

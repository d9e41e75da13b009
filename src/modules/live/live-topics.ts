import { hasPermission, type Permission, type Role } from '../../shared/permissions';

/** The topics of the monitoring socket and the permission each needs (`general`: anyone signed in). */
export const LIVE_TOPICS = ['servers', 'payments', 'users', 'system', 'general'] as const;
export type LiveTopic = (typeof LIVE_TOPICS)[number];

const TOPIC_PERMISSION: Readonly<Record<LiveTopic, Permission | null>> = {
  servers: 'server_read',
  payments: 'payment_read',
  users: 'user_read',
  system: 'monitoring_read',
  general: null,
};

export const isLiveTopic = (value: unknown): value is LiveTopic => typeof value === 'string' && (LIVE_TOPICS as readonly string[]).includes(value);

/** The topics a role may subscribe to, read from the one permission matrix. */
export function topicsAllowed(role: Role): LiveTopic[] {
  return LIVE_TOPICS.filter((topic) => {
    const permission = TOPIC_PERMISSION[topic];
    return permission === null || hasPermission(role, permission);
  });
}

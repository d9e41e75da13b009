/** Roles and the one permission matrix of SPEC.md. super_admin holds every permission. */
export const ROLES = ['viewer', 'support', 'operator', 'admin', 'super_admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'user_read',
  'user_create',
  'user_update',
  'user_delete',
  'server_read',
  'server_create',
  'server_update',
  'server_delete',
  'payment_read',
  'payment_create',
  'monitoring_read',
  'audit_read',
  'webhook_read',
  'manage_plans',
  'subscription_create',
  'notification_send',
  'view_analytics',
  'manage_admins',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

type Grants = Readonly<Record<Exclude<Role, 'super_admin'>, readonly Permission[]>>;

const GRANTS: Grants = {
  viewer: ['user_read', 'server_read', 'monitoring_read', 'view_analytics'],
  support: ['user_read', 'user_update', 'server_read', 'monitoring_read', 'notification_send'],
  operator: [
    'user_read',
    'user_create',
    'user_update',
    'server_read',
    'server_create',
    'server_update',
    'payment_read',
    'payment_create',
    'monitoring_read',
    'subscription_create',
    'notification_send',
    'view_analytics',
  ],
  admin: PERMISSIONS.filter((permission) => permission !== 'manage_admins'),
};

export function hasPermission(role: Role, permission: Permission): boolean {
  return role === 'super_admin' || GRANTS[role].includes(permission);
}

/** Position in the hierarchy: used where an admin may only act on roles below their own. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

import type { Role } from '../../shared/permissions';

/**
 * How long an invite lives and how often it may be tried. A super_admin invite is the most
 * dangerous thing an invite can carry, so it lives at most 3 days; the others up to 30.
 */
export const DEFAULT_INVITE_LIFETIME_HOURS = 72;
export const SUPER_ADMIN_INVITE_MAX_HOURS = 72;
export const INVITE_MAX_HOURS = 720;

export const maxInviteLifetimeHours = (role: Role): number => (role === 'super_admin' ? SUPER_ADMIN_INVITE_MAX_HOURS : INVITE_MAX_HOURS);

/**
 * Registration attempts one invite allows in all (review finding 7). A refused attempt (login or
 * email taken, another email than the invite's) names the field, so the honest invitee can fix a
 * typo; each attempt is reserved before it is checked, so parallel probes cannot get more, and
 * the invite is revoked when the last one fails.
 */
export const MAX_INVITE_ATTEMPTS = 5;

export const INVITE_STATUSES = ['pending', 'used', 'revoked', 'expired'] as const;
export type InviteStatus = (typeof INVITE_STATUSES)[number];

/** Why an invite stopped being usable before it was used; recorded in its audit entry. */
export type RevocationReason = 'revoked_by_admin' | 'issuer_deactivated' | 'issuer_deleted' | 'issuer_demoted' | 'too_many_attempts';

/**
 * Every text the service sends to Telegram, in one place. Telegram parses them as HTML, so every
 * value that comes from outside (usernames, plan and node names, dates the panel sent, an admin's
 * typed message) is escaped here and nowhere else.
 */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const day = (iso: Date) => iso.toISOString().slice(0, 10);

const formatInstant = (value: string): string => {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

export interface NodeAlertSummary {
  readonly down: readonly string[];
  readonly up: readonly string[];
  /** Nodes seen in both states within the window, with the state they ended in. */
  readonly flapped: ReadonlyArray<{ readonly name: string; readonly now: 'down' | 'up' }>;
}

/** Names shown per list, each cut to NAME_CHARS: three full lists stay well under Telegram's 4096 characters. */
const LISTED_NAMES = 12;
const NAME_CHARS = 80;

/** `note` follows a name, outside its bold and its cut (a flap's current state). */
const listed = (names: readonly string[], note: (index: number) => string = () => ''): string => {
  const shown = names.slice(0, LISTED_NAMES).map((name, index) => `<b>${escapeHtml(name.slice(0, NAME_CHARS))}</b>${note(index)}`).join(', ');
  return names.length > LISTED_NAMES ? `${shown} and ${names.length - LISTED_NAMES} more` : shown;
};

export const templates = {
  paymentCompleted: (p: { planName: string; days: number; expiresAt: Date }) =>
    `✅ Payment received: <b>${escapeHtml(p.planName)}</b>, ${p.days} days.\nYour subscription is active until <b>${day(p.expiresAt)}</b>.`,

  subscriptionExpired: ({ username }: { username: string }): string =>
    `⛔ The subscription of <b>${escapeHtml(username)}</b> has expired. Renew it to reconnect.`,

  /** `expiration` is Remnawave's reminder name (e.g. "72h"); `expireAt` the user's expiry when the event carries it. */
  subscriptionExpiring: ({ username, expireAt, expiration }: { username: string; expireAt?: string | null; expiration?: string | null }): string => {
    const when = expireAt ? ` on ${escapeHtml(formatInstant(expireAt))}` : expiration ? ` (${escapeHtml(expiration)})` : ' soon';
    return `⏳ The subscription of <b>${escapeHtml(username)}</b> expires${when}. Renew it to stay connected.`;
  },

  /** A trial (see ExpiryReminderService.isTrial) ending, at one of the reminder thresholds. */
  trialEnding: ({ username, expireAt }: { username: string; expireAt: string }): string =>
    `🎁 The trial of <b>${escapeHtml(username)}</b> ends on ${escapeHtml(formatInstant(expireAt))}. Choose a plan to stay connected.`,

  nodeConnectionLost: ({ nodeName }: { nodeName: string }): string => `🔴 Node <b>${escapeHtml(nodeName)}</b> lost its connection.`,

  nodeConnectionRestored: ({ nodeName }: { nodeName: string }): string => `🟢 Node <b>${escapeHtml(nodeName)}</b> is connected again.`,

  /** To the admins: what the nodes did within one alert window (src/modules/notifications/node-alert-window.ts). */
  nodeAlerts: ({ down, up, flapped }: NodeAlertSummary): string => {
    const lines = ['📡 <b>Node status changes</b>'];
    if (down.length) lines.push(`🔴 Down (${down.length}): ${listed(down)}`);
    if (up.length) lines.push(`🟢 Back (${up.length}): ${listed(up)}`);
    if (flapped.length) lines.push(`🟠 Flapped (${flapped.length}): ${listed(flapped.map(({ name }) => name), (index) => ` (${flapped[index]!.now} now)`)}`);
    return lines.join('\n');
  },

  /** To the admins: money arrived, the subscription did not move. */
  paymentNotProvisioned: ({ paymentId, userId, reason }: { paymentId: string; userId: string; reason: string }): string =>
    `🚨 Payment <code>${escapeHtml(paymentId)}</code> of VPN user ${escapeHtml(userId)} was received but not applied: ${escapeHtml(reason)}\nRetry it with POST /api/v1/payments/${escapeHtml(paymentId)}/retry once the cause is fixed.`,

  /** To the admins: a panel event we could not act on. */
  webhookFailed: ({ source, eventType, reason }: { source: string; eventType: string | null; reason: string }): string =>
    `⚠️ A ${escapeHtml(source)} webhook (${escapeHtml(eventType ?? 'unknown event')}) failed for good: ${escapeHtml(reason)}\nSee GET /api/v1/admin/webhook-log?status=failed.`,

  /** What an admin typed in POST /notifications: plain text, shown as typed (no markup of theirs). */
  manual: (text: string): string => escapeHtml(text),
};

/**
 * The dedupe key of an expiry reminder: one per user, expiry date and threshold, whoever inserts
 * it (the Remnawave `user.expiration` event or the panel scan), however often. The expiry is
 * normalised so "2026-12-01T00:00:00Z" and "2026-12-01T00:00:00.000Z" are the same reminder; a
 * renewal moves it, so the old date's thresholds are never reached again.
 */
export const expiryReminderKey = (userId: number | string, expireAt: string | Date, threshold: string): string =>
  `expiry-reminder:${userId}:${new Date(expireAt).toISOString()}:${threshold}`;

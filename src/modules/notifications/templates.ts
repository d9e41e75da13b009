/**
 * Every text the service sends to Telegram, in one place. Telegram parses them as HTML, so every
 * value that comes from outside (usernames, plan names, node names, an admin's typed message) is
 * escaped here and nowhere else.
 */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const day = (iso: Date) => iso.toISOString().slice(0, 10);

/** A node as the node templates name it: the panel's name, and its address when known. */
export interface NodeRef {
  name: string;
  address?: string | null;
}
const nodeLabel = (node: NodeRef) => `<b>${escapeHtml(node.name)}</b>${node.address ? ` (${escapeHtml(node.address)})` : ''}`;

export const templates = {
  paymentCompleted: (p: { planName: string; days: number; expiresAt: Date }) =>
    `✅ Payment received: <b>${escapeHtml(p.planName)}</b>, ${p.days} days.\nYour subscription is active until <b>${day(p.expiresAt)}</b>.`,
  /** To the VPN user, once per expiry date (see expiryReminderKey). */
  expiringSoon: (p: { expiresAt: Date }) => `⏳ Your subscription ends on <b>${day(p.expiresAt)}</b>.\nRenew it before then to stay connected.`,
  /** To the VPN user, when the panel reports the subscription expired. */
  expired: (p: { expiredAt: Date }) => `⛔ Your subscription expired on <b>${day(p.expiredAt)}</b>.\nRenew it to connect again.`,
  /** To the admins. */
  nodeConnectionLost: (node: NodeRef) => `🔴 Node ${nodeLabel(node)} lost its connection to the panel.`,
  nodeConnectionRestored: (node: NodeRef) => `🟢 Node ${nodeLabel(node)} is connected again.`,
  /** What an admin typed in POST /notifications: plain text, shown as typed (no markup of theirs). */
  manual: (text: string) => escapeHtml(text),
};

/**
 * The dedupe key of an expiry reminder: one per user and expiry date, whoever inserts it (the
 * Remnawave `user.expiration` event or the panel scan), however often. The expiry is normalised
 * so "2026-12-01T00:00:00Z" and "2026-12-01T00:00:00.000Z" are the same reminder.
 */
export const expiryReminderKey = (userId: number | string, expireAt: string | Date): string =>
  `expiry-reminder:${userId}:${new Date(expireAt).toISOString()}`;

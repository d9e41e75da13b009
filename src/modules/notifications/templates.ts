/**
 * Every message text the service sends, in one place. Telegram reads them as HTML: every value
 * from outside (names, dates the panel sent) is escaped here, the markup is ours.
 */
export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const formatDate = (value: string | Date): string => {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

export const templates = {
  paymentCompleted: ({ planName, expireAt }: { planName: string; expireAt: Date | string }): string =>
    `✅ Payment received: <b>${escapeHtml(planName)}</b>. Your subscription is active until ${escapeHtml(formatDate(expireAt))}.`,

  subscriptionExpired: ({ username }: { username: string }): string =>
    `⛔ The subscription of <b>${escapeHtml(username)}</b> has expired. Renew it to reconnect.`,

  /** `expiration` is Remnawave's reminder name (e.g. "72h") or a date; `expireAt` the user's expiry when known. */
  subscriptionExpiring: ({ username, expireAt, expiration }: { username: string; expireAt?: string | null; expiration?: string | null }): string => {
    const when = expireAt ? ` on ${escapeHtml(formatDate(expireAt))}` : expiration ? ` (${escapeHtml(expiration)})` : ' soon';
    return `⏳ The subscription of <b>${escapeHtml(username)}</b> expires${when}. Renew it to stay connected.`;
  },

  nodeConnectionLost: ({ nodeName }: { nodeName: string }): string => `🔴 Node <b>${escapeHtml(nodeName)}</b> lost its connection.`,

  nodeConnectionRestored: ({ nodeName }: { nodeName: string }): string => `🟢 Node <b>${escapeHtml(nodeName)}</b> is connected again.`,
};

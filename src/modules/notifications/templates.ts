/**
 * Every text the service sends to Telegram, in one place. Telegram parses them as HTML, so every
 * value that comes from outside (usernames, plan names) is escaped here and nowhere else.
 */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const day = (iso: Date) => iso.toISOString().slice(0, 10);

export const templates = {
  paymentCompleted: (p: { planName: string; days: number; expiresAt: Date }) =>
    `✅ Payment received: <b>${escapeHtml(p.planName)}</b>, ${p.days} days.\nYour subscription is active until <b>${day(p.expiresAt)}</b>.`,
};

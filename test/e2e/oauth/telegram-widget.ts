import { createHash, createHmac } from 'node:crypto';

/**
 * Signs login-widget data as Telegram does (core.telegram.org/widgets/login), written here from
 * the published scheme rather than imported from src/, so the tests check src/ against it.
 */
export type WidgetFields = Record<string, string | number>;

export function signWidget(fields: WidgetFields, botToken: string): WidgetFields & { hash: string } {
  const dataCheckString = Object.entries(fields)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');
  const secretKey = createHash('sha256').update(botToken).digest();
  return { ...fields, hash: createHmac('sha256', secretKey).update(dataCheckString).digest('hex') };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

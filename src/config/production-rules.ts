import { looksRandom } from './token-strength';

/**
 * What production refuses even when a value is well-formed: secrets left at their example
 * value, a METRICS_TOKEN that does not look random, a wildcard CORS origin, and a bcrypt cost below 12.
 */
const SECRET_KEYS = [
  'JWT_SECRET',
  'REMNAWAVE_TOKEN',
  'REMNAWAVE_WEBHOOK_SECRET',
  'CRYPTOBOT_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'GITHUB_CLIENT_SECRET',
  'DATA_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  // A previous key still verifies or opens: a placeholder there would be as bad as one in use.
  'JWT_PREVIOUS_SECRETS',
  'DATA_ENCRYPTION_PREVIOUS_KEYS',
] as const;
const BASE64_KEYS = new Set<string>(['DATA_ENCRYPTION_KEY', 'DATA_ENCRYPTION_PREVIOUS_KEYS']);

const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|placeholder|example|dummy|^(.)\1+$/i;

export function productionViolations(env: Record<string, unknown>): string[] {
  const bad: string[] = [];
  for (const key of SECRET_KEYS) {
    const value = env[key];
    if (typeof value !== 'string') continue;
    // Lists (the previous keys of a rotation) are judged item by item.
    const items = value.split(',').map((item) => item.trim()).filter(Boolean);
    // Encryption keys are base64: their placeholder shows only once decoded.
    const readable = (item: string) => (BASE64_KEYS.has(key) ? Buffer.from(item, 'base64').toString('latin1') : item);
    if (items.some((item) => PLACEHOLDER.test(item) || PLACEHOLDER.test(readable(item)))) bad.push(`${key} (placeholder value)`);
  }
  // /metrics is on the internet with a static token: production wants one nobody can guess.
  if (typeof env.METRICS_TOKEN === 'string' && !bad.some((entry) => entry.startsWith('METRICS_TOKEN')) && !looksRandom(env.METRICS_TOKEN)) {
    bad.push('METRICS_TOKEN (must be at least 32 random characters in production, e.g. openssl rand -hex 32)');
  }
  const origins = String(env.CORS_ORIGINS ?? '').split(',').map((origin) => origin.trim());
  if (origins.includes('*')) bad.push('CORS_ORIGINS (wildcard not allowed in production)');
  if (Number(env.BCRYPT_COST) < 12) bad.push('BCRYPT_COST (must be at least 12 in production)');
  return bad;
}

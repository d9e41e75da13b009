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
] as const;

const PLACEHOLDER = /change[-_ ]?me|replace[-_ ]?me|placeholder|example|dummy|^(.)\1+$/i;

export function productionViolations(env: Record<string, unknown>): string[] {
  const bad: string[] = [];
  for (const key of SECRET_KEYS) {
    const value = env[key];
    if (typeof value !== 'string') continue;
    // The encryption key is base64: its placeholder shows only once decoded.
    const readable = key === 'DATA_ENCRYPTION_KEY' ? Buffer.from(value, 'base64').toString('latin1') : value;
    if (PLACEHOLDER.test(value) || PLACEHOLDER.test(readable)) bad.push(`${key} (placeholder value)`);
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

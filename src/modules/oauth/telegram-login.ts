import { createHash, createHmac } from 'node:crypto';
import type { Config } from '../../config';
import type { Clock } from '../../shared/clock';
import { safeEqual } from '../../shared/secrets';

/**
 * Telegram Login Widget verification (core.telegram.org/widgets/login#checking-authorization):
 * hash = hex(HMAC-SHA256(key = SHA256(bot token) as raw bytes, data_check_string)), where the
 * data_check_string is every received field except `hash`, as `key=value`, sorted by key, joined
 * by "\n". Fields Telegram may add later are covered too: every received field takes part.
 * A valid hash is also only good while `auth_date` is fresh (at most a day old, and not from the
 * future beyond a little clock skew).
 */
export const MAX_AGE_SECONDS = 86_400;
export const MAX_FUTURE_SKEW_SECONDS = 300;

/** The widget's fields as received: values are strings or numbers (its JS callback gives numbers). */
export type TelegramWidgetFields = Record<string, string | number>;

export interface TelegramIdentity {
  id: string;
  username: string | null;
  authDate: number;
}

export type TelegramCheck = { ok: true; identity: TelegramIdentity } | { ok: false; reason: 'bad_hash' | 'stale' | 'from_future' | 'malformed' };

export function dataCheckString(fields: TelegramWidgetFields): string {
  return Object.keys(fields)
    .filter((key) => key !== 'hash')
    .sort()
    .map((key) => `${key}=${String(fields[key])}`)
    .join('\n');
}

export function telegramLoginHash(fields: TelegramWidgetFields, botToken: string): string {
  const key = createHash('sha256').update(botToken, 'utf8').digest();
  return createHmac('sha256', key).update(dataCheckString(fields), 'utf8').digest('hex');
}

/** The whole check, at a given time (seconds since the epoch). */
export function checkTelegramLogin(fields: TelegramWidgetFields, botToken: string, nowSeconds: number): TelegramCheck {
  const { hash, id, auth_date: authDateField, username } = fields;
  if (typeof hash !== 'string' || id === undefined || authDateField === undefined) return { ok: false, reason: 'malformed' };
  // Hex is case-insensitive; the comparison is constant-time whatever the lengths.
  if (!safeEqual(telegramLoginHash(fields, botToken), hash.toLowerCase())) return { ok: false, reason: 'bad_hash' };
  const authDate = Number(authDateField);
  if (!Number.isSafeInteger(authDate)) return { ok: false, reason: 'malformed' };
  if (nowSeconds - authDate > MAX_AGE_SECONDS) return { ok: false, reason: 'stale' };
  if (authDate - nowSeconds > MAX_FUTURE_SKEW_SECONDS) return { ok: false, reason: 'from_future' };
  return { ok: true, identity: { id: String(id), username: username === undefined ? null : String(username), authDate } };
}

/** The check with this service's bot token and the container's clock. */
export class TelegramLoginVerifier {
  private readonly botToken: string;
  private readonly clock: Clock;

  constructor({ config, clock }: { config: Config; clock: Clock }) {
    this.botToken = config.telegram.botToken;
    this.clock = clock;
  }

  check(fields: TelegramWidgetFields): TelegramCheck {
    return checkTelegramLogin(fields, this.botToken, this.nowSeconds());
  }

  /** How long (seconds, at least 1) data signed at `authDate` stays fresh enough to be accepted. */
  secondsStillFresh(authDate: number): number {
    return Math.max(1, authDate + MAX_AGE_SECONDS - this.nowSeconds());
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}

const TELEGRAM_OAUTH_URL = 'https://oauth.telegram.org/auth';

/**
 * The link that opens Telegram's login popup for this bot (what the widget script opens): the bot
 * is named by its numeric id, the first part of its token; `origin` is the admin frontend, which
 * must be the domain set for the bot with BotFather's /setdomain. No server-to-server call follows:
 * the widget's answer is verified locally, so this URL is not configuration.
 */
export function telegramAuthorizeUrl(botToken: string, origin: string | undefined): string {
  const url = new URL(TELEGRAM_OAUTH_URL);
  url.searchParams.set('bot_id', botToken.split(':')[0] ?? '');
  if (origin) url.searchParams.set('origin', origin);
  url.searchParams.set('request_access', 'write');
  return url.toString();
}

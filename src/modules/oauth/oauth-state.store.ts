import type { Config } from '../../config';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import { randomToken, sha256Hex } from '../../shared/secrets';

export type OAuthProvider = 'github' | 'telegram';
export const OAUTH_PROVIDERS: readonly OAuthProvider[] = ['github', 'telegram'];

/**
 * What a state was issued for. A `login` state may only finish a sign-in; a `link` state may only
 * finish linking, and only for the admin who asked for it (authenticated) at authorize time. So a
 * code + state obtained by one person cannot be replayed through another admin's session.
 */
export type OAuthStateRecord =
  /** `browser`: the hash of the nonce set as a cookie in the browser that asked for the state. */
  | { readonly provider: OAuthProvider; readonly purpose: 'login'; readonly browser?: string }
  | { readonly provider: OAuthProvider; readonly purpose: 'link'; readonly adminId: string };

/** What the state must have been issued for, for this use of it (sign-in: with the browser's nonce cookie, if any). */
export type OAuthStateExpectation =
  | { provider: OAuthProvider; purpose: 'login'; browserNonce: string | undefined }
  | { provider: OAuthProvider; purpose: 'link'; adminId: string };

export type OAuthStateCheck =
  | { ok: true }
  | { ok: false; reason: 'unknown_state' | 'state_provider_mismatch' | 'state_purpose_mismatch' | 'state_admin_mismatch' | 'state_browser_mismatch' };

/**
 * The `state` of an OAuth round trip: random, kept in Redis for 10 minutes (shared by every API
 * process) under its hash, with the record of what it was issued for, and spent by the first use
 * (GETDEL), whether or not the rest of that attempt succeeds.
 */
export const STATE_TTL_SECONDS = 600;

export class OAuthStateStore {
  private readonly redis: RedisClient;
  private readonly config: Config;

  constructor({ redis, config }: { redis: RedisClient; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  async issue(record: OAuthStateRecord): Promise<string> {
    const state = randomToken();
    await this.redis.set(this.key(state), JSON.stringify(record), 'EX', STATE_TTL_SECONDS);
    return state;
  }

  /**
   * Spends the state (whatever the outcome) and says whether it was issued for exactly this use:
   * same provider, same purpose and, for linking, the same admin.
   */
  async consume(state: string, expected: OAuthStateExpectation): Promise<OAuthStateCheck> {
    const record = parseRecord(await this.redis.getdel(this.key(state)));
    if (!record) return { ok: false, reason: 'unknown_state' };
    if (record.provider !== expected.provider) return { ok: false, reason: 'state_provider_mismatch' };
    if (record.purpose !== expected.purpose) return { ok: false, reason: 'state_purpose_mismatch' };
    if (record.purpose === 'link' && expected.purpose === 'link' && record.adminId !== expected.adminId) {
      return { ok: false, reason: 'state_admin_mismatch' };
    }
    // A login state issued to one browser signs in only that browser: an attacker's code + state
    // pushed into a victim's page (login CSRF) arrive without the attacker's nonce cookie.
    if (record.purpose === 'login' && expected.purpose === 'login' && record.browser !== undefined) {
      if (expected.browserNonce === undefined || sha256Hex(expected.browserNonce) !== record.browser) return { ok: false, reason: 'state_browser_mismatch' };
    }
    return { ok: true };
  }

  /**
   * Marks one signed Telegram widget payload (named by its hash) as used, for as long as it would
   * otherwise stay acceptable. True the first time only (SET NX), on every API process.
   */
  async spendTelegramPayload(hash: string, ttlSeconds: number): Promise<boolean> {
    const key = redisKey(this.config, 'telegram-login-used', sha256Hex(hash.toLowerCase()));
    return (await this.redis.set(key, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
  }

  private key(state: string): string {
    return redisKey(this.config, 'oauth-state', sha256Hex(state));
  }
}

/** A stored record, or null for anything else (including the bare provider names stored before). */
function parseRecord(raw: string | null): OAuthStateRecord | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { provider, purpose, adminId } = value as Record<string, unknown>;
  if (!OAUTH_PROVIDERS.includes(provider as OAuthProvider)) return null;
  if (purpose === 'login') {
    const { browser } = value as Record<string, unknown>;
    return typeof browser === 'string' ? { provider: provider as OAuthProvider, purpose, browser } : { provider: provider as OAuthProvider, purpose };
  }
  if (purpose === 'link' && typeof adminId === 'string' && adminId !== '') return { provider: provider as OAuthProvider, purpose, adminId };
  return null;
}

import type { Config } from '../../config';
import type { Principal } from '../../http/access-guard';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import { randomToken, sha256Hex } from '../../shared/secrets';

/** Who a ticket was issued to: the session or key whose liveness each socket keeps re-checking. */
export type LivePrincipalRef = { readonly kind: 'admin'; readonly adminId: string; readonly sessionId: string } | { readonly kind: 'api_key'; readonly apiKeyId: string };

export const WS_TICKET_TTL_SECONDS = 30;

export const refOf = (principal: Principal): LivePrincipalRef =>
  principal.kind === 'admin' ? { kind: 'admin', adminId: principal.adminId, sessionId: principal.sessionId } : { kind: 'api_key', apiKeyId: principal.apiKeyId };

/** One key per session or API key: what the per-principal connection bound counts by. */
export const refKey = (ref: LivePrincipalRef): string => (ref.kind === 'admin' ? `admin:${ref.adminId}:${ref.sessionId}` : `api_key:${ref.apiKeyId}`);

/**
 * WebSocket tickets: a browser cannot set an Authorization header on a WebSocket, and a token in a
 * URL ends up in logs, so the client trades its credentials for a random ticket that lives 30 s
 * and opens one socket (GETDEL: spent by whoever presents it first, on any API process). Redis
 * keeps only the ticket's hash.
 */
export class WsTicketStore {
  private readonly redis: RedisClient;
  private readonly config: Config;

  constructor({ redis, config }: { redis: RedisClient; config: Config }) {
    this.redis = redis;
    this.config = config;
  }

  async issue(principal: Principal): Promise<string> {
    const ticket = randomToken();
    await this.redis.set(this.keyOf(ticket), JSON.stringify(refOf(principal)), 'EX', WS_TICKET_TTL_SECONDS);
    return ticket;
  }

  /** The principal of a live ticket, which is spent by this call; undefined when unknown, spent or expired. */
  async redeem(ticket: string): Promise<LivePrincipalRef | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(ticket)) return undefined;
    const stored = await this.redis.getdel(this.keyOf(ticket));
    return stored === null ? undefined : (JSON.parse(stored) as LivePrincipalRef);
  }

  private keyOf(ticket: string): string {
    return redisKey(this.config, 'ws-ticket', sha256Hex(ticket));
  }
}

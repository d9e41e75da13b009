import { isIPv4 } from 'node:net';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type IncrementResponse, type Options, type RateLimitInfo } from 'express-rate-limit';
import { Cluster } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import type { Config } from '../config';
import type { Logger } from '../infrastructure/logger';
import { redisKey, type RedisClient } from '../infrastructure/redis/redis';
import { RateLimitedError, ServiceUnavailableError } from '../shared/errors';
import { API_PREFIX } from './route-table';
import type { RouteMiddlewareFor } from './mount-routes';
import type { ApiKeyVerifier } from '../modules/api-keys/api-key.verifier';

/**
 * Per-IP rate limits, counted in Redis so that every API process shares them (SPEC "HTTP edge").
 *
 * - `general`: RATE_LIMIT_GLOBAL_MAX requests per window per client IP on every route except the
 *   probes, metrics, the API description and the webhooks (those are authenticated by signature).
 * - `auth`: RATE_LIMIT_AUTH_MAX per window per client IP, on top of `general`, on the routes
 *   declared `credentialEndpoint` (login, register, refresh, OAuth login).
 * - `metrics`: RATE_LIMIT_AUTH_MAX wrong METRICS_TOKEN tries per window per client IP on
 *   `/metrics` (review S3); successful scrapes are not counted, so a scraper is never throttled
 *   by its own polling, and they do not spend the client's `general` allowance.
 *
 * A request presenting a valid API key is counted in `general` under that key's id instead of
 * its IP: each service has its own allowance, and a bot behind the same address as the admins'
 * office does not spend theirs. Invalid, revoked or expired keys count against the IP, so making
 * up keys buys no fresh buckets. (The lookup is the authenticator's own, shared per request.)
 *
 * The client IP is `req.ip`: the socket address unless TRUST_PROXY names the proxy hops, so a
 * forged X-Forwarded-For never changes the key. IPv6 clients are grouped by /64 (one customer
 * usually holds a whole /64).
 *
 * While Redis is unreachable:
 * - `general` FAILS OPEN: the request goes through, one warning per outage is logged (and one
 *   info line when Redis answers again). An outage must not take the whole API down with it.
 * - `auth` FAILS CLOSED: 503 "Service temporarily unavailable" with Retry-After, so an outage
 *   cannot be used to guess passwords without limit.
 * - `metrics` FAILS OPEN: an outage is when metrics matter most, and production requires a
 *   METRICS_TOKEN of at least 32 random characters, which no outage makes guessable.
 */
export const IPV6_SUBNET = 64;
/** Retry-After of the 503 the auth limiter answers while Redis is away (it reconnects within 2 s). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

const NOT_IP_LIMITED = new Set(['/health', '/ready', '/openapi.json', '/docs']);
const NOT_IP_LIMITED_PREFIXES = ['/docs/', `${API_PREFIX}/webhooks/`];
/** Checks a bearer token, so it has a limiter of its own instead of `general`. */
const METRICS_PATH = '/metrics';

/** Probes, docs and webhooks are not limited by client IP. */
export function isExemptFromIpLimits(path: string): boolean {
  return NOT_IP_LIMITED.has(path) || NOT_IP_LIMITED_PREFIXES.some((prefix) => path.startsWith(prefix));
}

const IPV4_MAPPED = '::ffff:';
const IPV6_MEMO_SIZE = 10_000;

/**
 * The counter key of a request: its client IP, IPv6 reduced to its /64. IPv4 clients (plain, or
 * IPv4-mapped as a dual-stack socket reports them) take a fast path: ipKeyGenerator parses every
 * IPv6-looking address with a general-purpose library, which costs more than the rest of the
 * limiter, so IPv6 keys are memoised per app.
 */
export function createClientKey(): (req: Request) => string {
  const ipv6Keys = new Map<string, string>();
  return (req) => {
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (isIPv4(ip)) return ip;
    if (ip.startsWith(IPV4_MAPPED) && isIPv4(ip.slice(IPV4_MAPPED.length))) return ip.slice(IPV4_MAPPED.length);
    let key = ipv6Keys.get(ip);
    if (key === undefined) {
      key = ipKeyGenerator(ip, IPV6_SUBNET);
      // Bounded: clients choose their IPv6 addresses, so the memo must not grow with them.
      if (ipv6Keys.size >= IPV6_MEMO_SIZE) ipv6Keys.clear();
      ipv6Keys.set(ip, key);
    }
    return key;
  };
}

type LimiterName = 'general' | 'auth' | 'metrics';

interface StoreSettings {
  redis: RedisClient;
  prefix: string;
  limiter: LimiterName;
  failClosed: boolean;
  logger: Logger;
}

/**
 * A command of rate-limit-redis. Its SCRIPT LOAD names no key, so a Cluster would send it to any
 * one node while the EVALSHA goes to the key's node: it is loaded on every master instead
 * (after a failover, the store's NOSCRIPT retry loads it again the same way).
 */
async function sendTo(redis: RedisClient, command: string, args: string[]): Promise<RedisReply> {
  if (!(redis instanceof Cluster) || command.toUpperCase() !== 'SCRIPT') return redis.call(command, ...args) as Promise<RedisReply>;
  const replies = await Promise.all(redis.nodes('master').map((node) => node.call(command, ...args)));
  return replies[0] as RedisReply;
}

/**
 * rate-limit-redis on the shared ioredis client, made outage-proof:
 * - the Lua scripts are loaded once at start-up by RedisStore; if Redis was down then, the store
 *   would keep the rejected load for ever. Here a failed load is retried on the next request.
 * - failures are reported once per outage, and the auth store turns them into a 503.
 */
export class EdgeRedisStore extends RedisStore {
  private readonly settings: Omit<StoreSettings, 'redis' | 'prefix'>;
  private scriptLoadFailed = false;
  private down = false;

  constructor({ redis, prefix, ...settings }: StoreSettings) {
    super({
      prefix,
      // A stalled Redis fails the call within the client's commandTimeout (src/infrastructure/redis).
      sendCommand: (command: string, ...args: string[]) => sendTo(redis, command, args),
    });
    this.settings = settings;
  }

  private tracked(load: Promise<string>): Promise<string> {
    // Never an unhandled rejection: the failure is seen, and reported, by the next increment.
    load.catch(() => {
      this.scriptLoadFailed = true;
    });
    return load;
  }

  override async init(options: Options): Promise<void> {
    this.windowMs = options.windowMs;
    this.incrementScriptSha = this.tracked(this.loadIncrementScript());
    this.getScriptSha = this.tracked(this.loadGetScript());
  }

  override async get(key: string) {
    this.reloadScriptsIfFailed();
    return super.get(key);
  }

  override async increment(key: string): Promise<IncrementResponse> {
    this.reloadScriptsIfFailed();
    try {
      const result = await super.increment(key);
      if (this.down) {
        this.down = false;
        this.settings.logger.info('rate limit store reachable again', { limiter: this.settings.limiter });
      }
      return result;
    } catch (error) {
      if (!this.down) {
        this.down = true;
        this.settings.logger.warn('rate limit store unreachable', {
          limiter: this.settings.limiter,
          policy: this.settings.failClosed ? 'fail closed (503)' : 'fail open (requests not limited)',
          error: error instanceof Error ? error.message : String(error),
        });
      }
      if (this.settings.failClosed) throw new ServiceUnavailableError('rate limiter', OUTAGE_RETRY_AFTER_SECONDS, { cause: error });
      throw error;
    }
  }

  private reloadScriptsIfFailed(): void {
    if (!this.scriptLoadFailed) return;
    this.scriptLoadFailed = false;
    this.incrementScriptSha = this.tracked(this.loadIncrementScript());
    this.getScriptSha = this.tracked(this.loadGetScript());
  }
}

/** express-rate-limit's own messages go to our log; store errors were already reported once by the store. */
function limiterLogger(logger: Logger, limiter: LimiterName): Options['logger'] {
  return {
    warn: (error, message) => logger.warn(message ?? 'rate limiter warning', { limiter, error }),
    error: (error, message) => {
      if (message?.includes('error from store')) logger.debug(message, { limiter });
      else logger.error(message ?? 'rate limiter error', { limiter, error });
    },
  };
}

const retryAfterSeconds = (info: RateLimitInfo | undefined, windowMs: number): number => {
  const resetAt = info?.resetTime?.getTime() ?? Date.now() + windowMs;
  return Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
};

interface LimiterSettings {
  name: LimiterName;
  limit: number;
  failClosed: boolean;
  /** Count only answers >= 400 (each success is taken back when it finishes). */
  countFailuresOnly?: boolean;
}

const REQUEST_PROPERTY: Record<LimiterName, string> = { general: 'rateLimit', auth: 'authRateLimit', metrics: 'metricsRateLimit' };

function createLimiter(
  { config, redis, logger }: { config: Config; redis: RedisClient; logger: Logger },
  { name, limit, failClosed, countFailuresOnly = false }: LimiterSettings,
  clientKey: (req: Request) => string | Promise<string>,
): RequestHandler {
  const { windowMs } = config.rateLimit;
  const requestPropertyName = REQUEST_PROPERTY[name];
  return rateLimit({
    windowMs,
    limit,
    // One store, hence one key prefix, per limiter (rate-limit-redis 6 refuses shared stores).
    store: new EdgeRedisStore({
      redis,
      prefix: `${redisKey(config, 'rl', name)}:`,
      limiter: name,
      failClosed,
      logger,
    }),
    keyGenerator: clientKey,
    // draft-8: `RateLimit` and `RateLimit-Policy` carry one named item per limiter, so the general
    // and the auth limits of a login answer are both visible.
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: name,
    requestPropertyName,
    skipSuccessfulRequests: countFailuresOnly,
    // Explicit: the general limiter lets traffic through while Redis is down, the auth one does not.
    passOnStoreError: !failClosed,
    handler: (req, _res, next) => {
      const info = (req as Request & Record<string, RateLimitInfo | undefined>)[requestPropertyName];
      next(new RateLimitedError(retryAfterSeconds(info, windowMs)));
    },
    logger: limiterLogger(logger, name),
    validate: {
      // X-Forwarded-For is ignored on purpose unless TRUST_PROXY names the hops; a client sending
      // one anyway is not a misconfiguration worth an error line.
      xForwardedForHeader: false,
      forwardedHeader: false,
    },
  });
}

export interface EdgeRateLimits {
  /** App-wide, after body parsing; null when rate limiting is off. */
  readonly general: RequestHandler | null;
  /** Per-route extras for mountRoutes: the auth limiter on credential endpoints. */
  readonly forRoute: RouteMiddlewareFor;
}

/** The `general` bucket of a request: its valid API key's id when it presents one, else its client IP. */
export function createCallerKey(clientKey: (req: Request) => string, apiKeyVerifier: ApiKeyVerifier | undefined): (req: Request) => Promise<string> {
  return async (req) => {
    if (apiKeyVerifier?.presentsApiKey(req)) {
      // A failed lookup (database away) counts against the IP; the authenticator reports it.
      const key = await apiKeyVerifier.verify(req).catch(() => undefined);
      if (key) return `key:${key.id}`;
    }
    return clientKey(req);
  };
}

export function createRateLimits(deps: { config: Config; redis: RedisClient; logger: Logger; apiKeyVerifier?: ApiKeyVerifier }): EdgeRateLimits {
  const { rateLimit: settings } = deps.config;
  if (!settings.enabled) return { general: null, forRoute: () => [] };

  const clientKey = createClientKey();
  const generalLimiter = createLimiter(deps, { name: 'general', limit: settings.globalMax, failClosed: false }, createCallerKey(clientKey, deps.apiKeyVerifier));
  const authLimiter = createLimiter(deps, { name: 'auth', limit: settings.authMax, failClosed: true }, clientKey);
  const metricsLimiter = createLimiter(deps, { name: 'metrics', limit: settings.authMax, failClosed: false, countFailuresOnly: true }, clientKey);
  const general: RequestHandler = (req, res, next) => {
    if (req.path === METRICS_PATH) {
      void metricsLimiter(req, res, next);
      return;
    }
    if (isExemptFromIpLimits(req.path)) {
      next();
      return;
    }
    void generalLimiter(req, res, next);
  };
  return { general, forRoute: (route) => (route.credentialEndpoint ? [authLimiter] : []) };
}

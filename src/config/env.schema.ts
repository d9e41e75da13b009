import Joi from 'joi';
import { parseDurationSeconds } from './duration';

/** The environment contract of every process: one key per setting, checked once at start-up. */

const duration = Joi.string().custom((value: string, helpers) =>
  parseDurationSeconds(value) === null ? helpers.error('any.invalid') : value,
);

const url = (schemes: string[]) => Joi.string().uri({ scheme: schemes });
const secret = (minBytes: number) =>
  Joi.string().custom((value: string, helpers) =>
    Buffer.byteLength(value, 'utf8') < minBytes ? helpers.error('any.invalid') : value,
  );

const encryptionKey = Joi.string().custom((value: string, helpers) =>
  Buffer.from(value, 'base64').length === 32 ? value : helpers.error('any.invalid'),
);

/** A comma-separated list of values of one kind; empty or unset is none. */
const list = (item: Joi.Schema) =>
  Joi.string()
    .allow('')
    .custom((value: string, helpers) => {
      const items = value.split(',').map((entry) => entry.trim()).filter(Boolean);
      return items.every((entry) => item.validate(entry).error === undefined) ? value : helpers.error('any.invalid');
    });

const trustProxy = Joi.string().custom((value: string, helpers) => {
  if (/^(false|\d{1,2})$/.test(value)) return value;
  // Named subnets/addresses as express understands them; `true` is refused on purpose:
  // trusting every hop lets any client forge its address.
  const items = value.split(',').map((item) => item.trim());
  const valid = items.every((item) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(item));
  return valid ? value : helpers.error('any.invalid');
});

/** Exact browser origins (`scheme://host[:port]`, no path: a browser's Origin never has one), or `*`. */
const corsOrigins = Joi.string()
  .allow('')
  .custom((value: string, helpers) => {
    const origins = value.split(',').map((origin) => origin.trim()).filter(Boolean);
    const valid = origins.every((origin) => origin === '*' || /^https?:\/\/[^/?#\s*]+$/.test(origin));
    return valid ? value : helpers.error('any.invalid');
  });

const bool = Joi.boolean().truthy('1', 'yes').falsy('0', 'no');
const port = Joi.number().integer().min(0).max(65535);

export const envSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
  PORT: port.default(8000),
  LOG_LEVEL: Joi.string().valid('error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly').default('info'),
  LOG_FORMAT: Joi.string().valid('json', 'pretty'),

  DATABASE_URL: url(['postgres', 'postgresql']).required(),
  DATABASE_POOL_MAX: Joi.number().integer().min(1).max(100).default(10),
  REDIS_URL: url(['redis', 'rediss']).required(),
  REDIS_KEY_PREFIX: Joi.string().pattern(/^[A-Za-z0-9:_-]*$/).allow('').default('cybervpn:'),
  // A Redis Cluster's seed nodes (host:port, comma-separated); REDIS_URL then gives only the credentials and TLS.
  REDIS_CLUSTER_NODES: Joi.string().pattern(/^\s*[A-Za-z0-9.-]+:\d{1,5}\s*(,\s*[A-Za-z0-9.-]+:\d{1,5}\s*)*$/).allow('').default(''),

  JWT_SECRET: secret(32).required(),
  // Rotation: the secrets signed with before, still accepted until their tokens have expired.
  JWT_PREVIOUS_SECRETS: list(secret(32)),
  JWT_ISSUER: Joi.string().default('cybervpn-admin'),
  JWT_AUDIENCE: Joi.string().default('cybervpn-admin-api'),
  ACCESS_TOKEN_TTL: duration.default('15m'),
  REFRESH_TOKEN_TTL: duration.default('7d'),

  BCRYPT_COST: Joi.number().integer().min(10).max(15).default(12),
  HASH_POOL_THREADS: Joi.number().integer().min(1).max(64),
  HASH_POOL_MAX_QUEUE: Joi.number().integer().min(1).default(200),

  CORS_ORIGINS: corsOrigins.default(''),
  TRUST_PROXY: trustProxy.default('false'),
  BODY_LIMIT: Joi.string().pattern(/^\d+(b|kb|mb)$/i).default('100kb'),
  // Rate limiting can be switched off only outside production.
  RATE_LIMIT_ENABLED: bool.default(true).when('NODE_ENV', { is: 'production', then: Joi.valid(true) }),
  RATE_LIMIT_WINDOW: duration.default('60s'),
  RATE_LIMIT_GLOBAL_MAX: Joi.number().integer().min(1).default(100),
  RATE_LIMIT_AUTH_MAX: Joi.number().integer().min(1).default(5),

  REMNAWAVE_URL: url(['http', 'https']).required(),
  REMNAWAVE_TOKEN: Joi.string().required(),
  REMNAWAVE_WEBHOOK_SECRET: secret(32).required(),
  CRYPTOBOT_URL: url(['http', 'https']).default('https://pay.crypt.bot'),
  CRYPTOBOT_TOKEN: Joi.string().required(),
  // How long an invoice stays payable (Crypto Pay's expires_in: 1 s .. 31 days).
  CRYPTOBOT_INVOICE_TTL: duration.default('1h'),
  // Payments still pending this long are checked with Crypto Pay, every interval (webhooks get lost).
  PAYMENT_RECONCILE_AFTER: duration.default('5m'),
  PAYMENT_RECONCILE_INTERVAL: duration.default('1m'),
  // How long an invoice request's Idempotency-Key is kept (a retry within it gets the first answer).
  IDEMPOTENCY_KEY_TTL: duration.default('24h'),
  TELEGRAM_BOT_TOKEN: Joi.string().required(),
  TELEGRAM_API_URL: url(['http', 'https']).default('https://api.telegram.org'),
  // Telegram allows about 30 messages a second per bot, about one a second per chat.
  TELEGRAM_RATE_PER_SECOND: Joi.number().integer().min(1).max(1000).default(30),
  TELEGRAM_CHAT_INTERVAL_MS: Joi.number().integer().min(0).max(60_000).default(1000),
  NOTIFICATION_WORKER_CONCURRENCY: Joi.number().integer().min(1).max(100).default(10),
  NOTIFICATION_SWEEP_INTERVAL: duration.default('60s'),
  EXPIRY_SCAN_INTERVAL: duration.default('1h'),
  // Node connection events within this window become one admin message (a flap is named as one).
  NODE_ALERT_WINDOW: duration.default('30s'),
  // Expiry reminders: one per user, expiry date and threshold (time left), e.g. 72h,24h.
  REMINDER_THRESHOLDS: list(duration).invalid('').default('72h,24h'),
  GITHUB_CLIENT_ID: Joi.string().required(),
  GITHUB_CLIENT_SECRET: Joi.string().required(),
  GITHUB_OAUTH_URL: url(['http', 'https']).default('https://github.com'),
  GITHUB_API_URL: url(['http', 'https']).default('https://api.github.com'),
  OUTBOUND_TIMEOUT: duration.default('10s'),

  // Outgoing webhooks to the operator's systems: private targets only ever outside production.
  OUTGOING_WEBHOOK_ALLOW_PRIVATE: bool.default(false).when('NODE_ENV', { is: 'production', then: Joi.valid(false) }),
  OUTGOING_WEBHOOK_ATTEMPTS: Joi.number().integer().min(1).max(20).default(6),
  OUTGOING_WEBHOOK_BACKOFF_MS: Joi.number().integer().min(1).max(3_600_000).default(10_000),
  OUTGOING_WEBHOOK_MAX_FAILURES: Joi.number().integer().min(1).max(1000).default(5),

  DATA_ENCRYPTION_KEY: encryptionKey.required(),
  // Rotation: keys secrets were sealed with before, still opened until `npm run secrets:reseal` ran.
  DATA_ENCRYPTION_PREVIOUS_KEYS: list(encryptionKey),
  METRICS_TOKEN: secret(16).required(),
  DOCS_ENABLED: bool,
  SHUTDOWN_TIMEOUT: duration.default('10s'),

  // Worker processes (workers/*.ts) and the webhook queue.
  WORKER_CONCURRENCY: Joi.number().integer().min(1).max(64).default(4),
  WORKER_LOCK_DURATION: duration.default('30s'),
  WORKER_STALLED_INTERVAL: duration.default('30s'),
  WORKER_HEALTH_PORT: port.default(0),
  WEBHOOK_JOB_ATTEMPTS: Joi.number().integer().min(1).max(50).default(8),
  WEBHOOK_JOB_BACKOFF: duration.default('2s'),
  WEBHOOK_SWEEP_INTERVAL: duration.default('30s'),
  WEBHOOK_SWEEP_MIN_AGE: duration.default('10s'),
  QUEUE_WAITING_DEGRADED: Joi.number().integer().min(1).default(1000),
  QUEUE_OLDEST_WAITING_DEGRADED: duration.default('5m'),
  QUEUE_FAILED_DEGRADED: Joi.number().integer().min(1).default(100),

  // Live monitoring (WebSocket): bounds per API process, and the webhook worker's node poll.
  WS_MAX_CONNECTIONS_PER_ADMIN: Joi.number().integer().min(1).max(100).default(5),
  WS_MAX_BUFFERED_BYTES: Joi.number().integer().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  WS_PING_INTERVAL: duration.default('30s'),
  WS_PRINCIPAL_RECHECK_INTERVAL: duration.default('5s'),
  NODE_STATUS_POLL_INTERVAL: duration.default('15s'),
})
  // Keys of other programs (PATH, HOME...) share the environment; they are not ours to judge.
  .unknown(true);

import { parseDurationSeconds } from './duration';

/** The typed, frozen settings every process is built from. */
export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly isProduction: boolean;
  readonly port: number;
  readonly log: { readonly level: string; readonly format: 'json' | 'pretty' };
  readonly database: { readonly url: string; readonly poolMax: number };
  readonly redis: {
    readonly url: string;
    readonly keyPrefix: string;
    /** Seed nodes of a Redis Cluster; empty: REDIS_URL is a single server. */
    readonly clusterNodes: readonly { readonly host: string; readonly port: number }[];
  };
  readonly jwt: {
    /** Signs every new token. */
    readonly secret: string;
    /** Still verify tokens signed before a rotation (each token names its key by `kid`). */
    readonly previousSecrets: readonly string[];
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
  };
  readonly passwordHashing: { readonly cost: number; readonly threads: number; readonly maxQueue: number };
  readonly http: {
    readonly corsOrigins: readonly string[];
    readonly trustProxy: false | number | string;
    readonly bodyLimit: string;
    readonly docsEnabled: boolean;
    readonly shutdownTimeoutMs: number;
  };
  readonly rateLimit: {
    readonly enabled: boolean;
    readonly windowMs: number;
    readonly globalMax: number;
    readonly authMax: number;
  };
  readonly remnawave: { readonly url: string; readonly token: string; readonly webhookSecret: string };
  readonly cryptobot: { readonly url: string; readonly token: string; readonly invoiceTtlSeconds: number };
  readonly reconciliation: { readonly afterMs: number; readonly intervalMs: number };
  /** Invoice requests' Idempotency-Keys are kept at least this long, and pruned within the hour after. */
  readonly idempotencyKeyTtlMs: number;
  readonly telegram: { readonly botToken: string; readonly apiUrl: string };
  readonly notifications: {
    /** Messages a second over every worker process together (BullMQ's limiter, kept in Redis). */
    readonly ratePerSecond: number;
    /** Least time between two messages to one chat. */
    readonly chatIntervalMs: number;
    readonly concurrency: number;
    readonly sweepIntervalMs: number;
    readonly expiryScanIntervalMs: number;
    /** Node events coalesced into one admin message per window. */
    readonly nodeAlertWindowMs: number;
    /** Reminder thresholds, tightest first: `label` as configured ("24h"), `ms` the time left it stands for. */
    readonly reminderThresholds: ReadonlyArray<{ readonly label: string; readonly ms: number }>;
  };
  readonly github: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly oauthUrl: string;
    readonly apiUrl: string;
  };
  readonly outboundTimeoutMs: number;
  readonly outgoingWebhooks: {
    /** Loopback and private receivers allowed (local development and tests; never production). */
    readonly allowPrivateTargets: boolean;
    /** Attempts per delivery, with exponential backoff from backoffMs. */
    readonly attempts: number;
    readonly backoffMs: number;
    /** Deliveries failed for good in a row before the endpoint is disabled. */
    readonly maxConsecutiveFailures: number;
  };
  /** Seals every secret at rest. */
  readonly dataEncryptionKey: Buffer;
  /** What opens a sealed secret: the current key, then those of DATA_ENCRYPTION_PREVIOUS_KEYS (until resealed). */
  readonly dataEncryptionKeys: readonly Buffer[];
  readonly metricsToken: string;
  readonly workers: {
    readonly concurrency: number;
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    /** 0: no health server. */
    readonly healthPort: number;
  };
  readonly webhooks: {
    readonly jobAttempts: number;
    /** First retry delay; each later one doubles it. */
    readonly jobBackoffMs: number;
    readonly sweepIntervalMs: number;
    /** A row younger than this may still be on its way into the queue: the sweep leaves it. */
    readonly sweepMinAgeMs: number;
  };
  readonly queueHealth: {
    readonly waitingDegraded: number;
    readonly oldestWaitingDegradedMs: number;
    readonly failedDegraded: number;
  };
  readonly live: {
    /** Open monitoring sockets per admin session or API key, counted per API process. */
    readonly maxConnectionsPerPrincipal: number;
    /** A client whose unsent backlog grows past this is dropped (1013), never buffered further. */
    readonly maxBufferedBytes: number;
    readonly pingIntervalMs: number;
    /** How often each socket's admin, session or API key is checked again (revocation). */
    readonly principalRecheckIntervalMs: number;
    /** How often the webhook worker asks the panel for its nodes' status. */
    readonly nodeStatusPollIntervalMs: number;
  };
}

/** Values that already passed envSchema; the shape is the schema's, with its defaults applied. */
export type ValidatedEnv = Record<string, string | number | boolean | undefined>;

const listOf = (value: unknown): string[] =>
  String(value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** `host:port` entries, already checked by the schema. */
const clusterNodesOf = (value: unknown): Array<{ host: string; port: number }> =>
  listOf(value).map((node) => {
    const separator = node.lastIndexOf(':');
    return { host: node.slice(0, separator), port: Number(node.slice(separator + 1)) };
  });

const seconds = (value: unknown): number => parseDurationSeconds(String(value)) ?? 0;

function parseTrustProxy(value: string): false | number | string {
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object' && !Buffer.isBuffer(child)) deepFreeze(child as object);
  }
  return Object.freeze(value);
}

export function buildConfig(env: ValidatedEnv, cpuCount: number): Config {
  const nodeEnv = env.NODE_ENV as Config['env'];
  const str = (key: string) => String(env[key]);
  return deepFreeze({
    env: nodeEnv,
    isProduction: nodeEnv === 'production',
    port: Number(env.PORT),
    log: {
      level: str('LOG_LEVEL'),
      format: (env.LOG_FORMAT as 'json' | 'pretty' | undefined) ?? (nodeEnv === 'development' ? 'pretty' : 'json'),
    },
    database: { url: str('DATABASE_URL'), poolMax: Number(env.DATABASE_POOL_MAX) },
    redis: { url: str('REDIS_URL'), keyPrefix: str('REDIS_KEY_PREFIX'), clusterNodes: clusterNodesOf(env.REDIS_CLUSTER_NODES) },
    jwt: {
      secret: str('JWT_SECRET'),
      previousSecrets: listOf(env.JWT_PREVIOUS_SECRETS),
      issuer: str('JWT_ISSUER'),
      audience: str('JWT_AUDIENCE'),
      accessTtlSeconds: seconds(env.ACCESS_TOKEN_TTL),
      refreshTtlSeconds: seconds(env.REFRESH_TOKEN_TTL),
    },
    passwordHashing: {
      cost: Number(env.BCRYPT_COST),
      threads: env.HASH_POOL_THREADS === undefined ? cpuCount : Number(env.HASH_POOL_THREADS),
      maxQueue: Number(env.HASH_POOL_MAX_QUEUE),
    },
    http: {
      corsOrigins: str('CORS_ORIGINS')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
      trustProxy: parseTrustProxy(str('TRUST_PROXY')),
      bodyLimit: str('BODY_LIMIT'),
      docsEnabled: env.DOCS_ENABLED === undefined ? nodeEnv !== 'production' : Boolean(env.DOCS_ENABLED),
      shutdownTimeoutMs: seconds(env.SHUTDOWN_TIMEOUT) * 1000,
    },
    rateLimit: {
      enabled: Boolean(env.RATE_LIMIT_ENABLED),
      windowMs: seconds(env.RATE_LIMIT_WINDOW) * 1000,
      globalMax: Number(env.RATE_LIMIT_GLOBAL_MAX),
      authMax: Number(env.RATE_LIMIT_AUTH_MAX),
    },
    remnawave: {
      url: str('REMNAWAVE_URL'),
      token: str('REMNAWAVE_TOKEN'),
      webhookSecret: str('REMNAWAVE_WEBHOOK_SECRET'),
    },
    cryptobot: { url: str('CRYPTOBOT_URL'), token: str('CRYPTOBOT_TOKEN'), invoiceTtlSeconds: seconds(env.CRYPTOBOT_INVOICE_TTL) },
    reconciliation: { afterMs: seconds(env.PAYMENT_RECONCILE_AFTER) * 1000, intervalMs: seconds(env.PAYMENT_RECONCILE_INTERVAL) * 1000 },
    idempotencyKeyTtlMs: seconds(env.IDEMPOTENCY_KEY_TTL) * 1000,
    telegram: { botToken: str('TELEGRAM_BOT_TOKEN'), apiUrl: str('TELEGRAM_API_URL') },
    notifications: {
      ratePerSecond: Number(env.TELEGRAM_RATE_PER_SECOND),
      chatIntervalMs: Number(env.TELEGRAM_CHAT_INTERVAL_MS),
      concurrency: Number(env.NOTIFICATION_WORKER_CONCURRENCY),
      sweepIntervalMs: seconds(env.NOTIFICATION_SWEEP_INTERVAL) * 1000,
      expiryScanIntervalMs: seconds(env.EXPIRY_SCAN_INTERVAL) * 1000,
      nodeAlertWindowMs: seconds(env.NODE_ALERT_WINDOW) * 1000,
      reminderThresholds: [...new Set(listOf(env.REMINDER_THRESHOLDS))]
        .map((label) => ({ label, ms: seconds(label) * 1000 }))
        .sort((a, b) => a.ms - b.ms),
    },
    github: {
      clientId: str('GITHUB_CLIENT_ID'),
      clientSecret: str('GITHUB_CLIENT_SECRET'),
      oauthUrl: str('GITHUB_OAUTH_URL'),
      apiUrl: str('GITHUB_API_URL'),
    },
    outboundTimeoutMs: seconds(env.OUTBOUND_TIMEOUT) * 1000,
    outgoingWebhooks: {
      allowPrivateTargets: Boolean(env.OUTGOING_WEBHOOK_ALLOW_PRIVATE),
      attempts: Number(env.OUTGOING_WEBHOOK_ATTEMPTS),
      backoffMs: Number(env.OUTGOING_WEBHOOK_BACKOFF_MS),
      maxConsecutiveFailures: Number(env.OUTGOING_WEBHOOK_MAX_FAILURES),
    },
    dataEncryptionKey: Buffer.from(str('DATA_ENCRYPTION_KEY'), 'base64'),
    dataEncryptionKeys: [str('DATA_ENCRYPTION_KEY'), ...listOf(env.DATA_ENCRYPTION_PREVIOUS_KEYS)].map((key) => Buffer.from(key, 'base64')),
    metricsToken: str('METRICS_TOKEN'),
    workers: {
      concurrency: Number(env.WORKER_CONCURRENCY),
      lockDurationMs: seconds(env.WORKER_LOCK_DURATION) * 1000,
      stalledIntervalMs: seconds(env.WORKER_STALLED_INTERVAL) * 1000,
      healthPort: Number(env.WORKER_HEALTH_PORT),
    },
    webhooks: {
      jobAttempts: Number(env.WEBHOOK_JOB_ATTEMPTS),
      jobBackoffMs: seconds(env.WEBHOOK_JOB_BACKOFF) * 1000,
      sweepIntervalMs: seconds(env.WEBHOOK_SWEEP_INTERVAL) * 1000,
      sweepMinAgeMs: seconds(env.WEBHOOK_SWEEP_MIN_AGE) * 1000,
    },
    queueHealth: {
      waitingDegraded: Number(env.QUEUE_WAITING_DEGRADED),
      oldestWaitingDegradedMs: seconds(env.QUEUE_OLDEST_WAITING_DEGRADED) * 1000,
      failedDegraded: Number(env.QUEUE_FAILED_DEGRADED),
    },
    live: {
      maxConnectionsPerPrincipal: Number(env.WS_MAX_CONNECTIONS_PER_ADMIN),
      maxBufferedBytes: Number(env.WS_MAX_BUFFERED_BYTES),
      pingIntervalMs: seconds(env.WS_PING_INTERVAL) * 1000,
      principalRecheckIntervalMs: seconds(env.WS_PRINCIPAL_RECHECK_INTERVAL) * 1000,
      nodeStatusPollIntervalMs: seconds(env.NODE_STATUS_POLL_INTERVAL) * 1000,
    },
  });
}

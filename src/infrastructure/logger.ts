import winston from 'winston';
import type { Config } from '../config';
import type { RequestContextStore } from '../shared/request-context';

/** Keys whose values never reach a log line, wherever they sit in the logged object. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|signature|api[-_]?key|(private|encryption)[-_]?key|totp|backup[-_]?codes?|^code$/i;
const REDACTED = '[redacted]';
/** triple-beam's key of an entry's own level (`info.level` may be colourised by then). */
const LEVEL = Symbol.for('level');
const MAX_DEPTH = 6;

export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) {
    // An error's own `code` is a library code (ECONNREFUSED, 23505), not a secret one.
    const { code, ...own } = value as Error & { code?: unknown };
    // `cause` and AggregateError's `errors` are not enumerable, yet they hold the real reason.
    const { cause, errors } = value as Error & { cause?: unknown; errors?: unknown };
    return {
      name: value.name,
      message: value.message,
      code,
      stack: value.stack,
      ...(redact(own, depth + 1) as object),
      ...(cause === undefined ? {} : { cause: redact(cause, depth + 1) }),
      ...(Array.isArray(errors) ? { errors: redact(errors, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    result[key] = SECRET_KEY.test(key) ? REDACTED : redact(child, depth + 1);
  }
  return result;
}

export type Logger = winston.Logger;

export function createLogger(
  { config, requestContextStore }: { config: Config; requestContextStore: RequestContextStore },
  transports: winston.transport[] = [new winston.transports.Console({ stderrLevels: ['error'] })],
): Logger {
  const withRequestContext = winston.format((info) => {
    const context = requestContextStore.current();
    if (context && info.request_id === undefined) {
      info.request_id = context.requestId;
      if (context.adminId) info.admin_id = context.adminId;
      if (context.apiKeyId) info.service_key_id = context.apiKeyId;
      if (context.jobId) info.job_id = context.jobId;
    }
    return info;
  });
  const redactSecrets = winston.format((info) => {
    for (const key of Object.keys(info)) {
      info[key] = SECRET_KEY.test(key) ? REDACTED : redact(info[key]);
    }
    return info;
  });
  const output =
    config.log.format === 'json'
      ? winston.format.json()
      : winston.format.combine(
          winston.format.colorize(),
          winston.format.printf(({ level, message, timestamp, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${extra}`;
          }),
        );
  // winston runs the whole format chain (timestamp, context, redaction, JSON) on every entry and
  // only then lets each transport drop what is below its level: a debug line per refused request
  // (an open breaker's 502, a 4xx) cost its formatting and its garbage at any LOG_LEVEL. An entry
  // that no transport would write (winston's own isLevelEnabled) stops before the chain.
  const wantedByATransport = winston.format((info) => (logger.isLevelEnabled((info as unknown as Record<symbol, string>)[LEVEL] ?? info.level) ? info : false));
  // Read by the format above only when an entry is logged, after this assignment.
  const logger: winston.Logger = winston.createLogger({
    level: config.log.level,
    format: winston.format.combine(wantedByATransport(), winston.format.timestamp(), withRequestContext(), redactSecrets(), output),
    transports,
  });
  return logger;
}

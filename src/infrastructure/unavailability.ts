import { ServiceUnavailableError } from '../shared/errors';

/**
 * Recognises the ways PostgreSQL, Redis and the hash pool say "not now" so that a client gets a
 * 503 with Retry-After instead of a 500, whatever library raised it.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE', 'EAI_AGAIN']);
// SQLSTATE class 08 (connection exception), 53300 too_many_connections, 57P0x shutdown/crash.
const PG_UNAVAILABLE = /^(08...|53300|57P0[1-3])$/;

interface ErrorLike {
  name?: string;
  code?: string;
  message?: string;
  cause?: unknown;
}

function component(error: ErrorLike): string | null {
  const { name = '', code = '', message = '' } = error;
  if (name === 'KnexTimeoutError' || PG_UNAVAILABLE.test(code) || /Connection terminated/.test(message)) return 'database';
  if (name === 'MaxRetriesPerRequestError' || /enableOfflineQueue|Connection is closed|Stream isn't writeable|Command timed out/.test(message)) {
    return 'redis';
  }
  if (/Task queue is at limit|queue is full/i.test(message)) return 'password hashing';
  if (NETWORK_CODES.has(code)) return 'dependency';
  return null;
}

export function asUnavailability(error: unknown): ServiceUnavailableError | null {
  let current: unknown = error;
  // Libraries wrap the network error (AggregateError from pg, cause chains from knex).
  for (let depth = 0; current && typeof current === 'object' && depth < 4; depth += 1) {
    const found = component(current as ErrorLike);
    if (found) return new ServiceUnavailableError(found, 5, { cause: error });
    const inner = (current as { errors?: unknown[] }).errors?.[0];
    current = inner ?? (current as ErrorLike).cause;
  }
  return null;
}

/**
 * The one taxonomy of failures. Services throw these (never HTTP errors); src/http/error-catalog.ts
 * is the one table turning each code into a status and a safe detail.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_json'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'malformed_body_encoding'
  | 'unsupported_content_encoding'
  | 'invalid_token'
  | 'invalid_credentials'
  | 'invalid_signature'
  | 'csrf_rejected'
  | 'reauth_required'
  | 'permission_denied'
  | 'not_found'
  | 'route_not_found'
  | 'conflict'
  | 'in_use'
  | 'state_conflict'
  | 'subscription_expired'
  | 'rate_limited'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'upstream_rejected'
  | 'payment_rejected'
  | 'idempotency_key_reused'
  | 'idempotency_in_flight'
  | 'service_unavailable'
  | 'internal';

export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class RequestValidationError extends AppError {
  readonly code = 'validation_failed';
  constructor(readonly issues: ValidationIssue[]) {
    super('Request validation failed');
  }
}

export class MalformedJsonError extends AppError {
  readonly code = 'malformed_json';
}

export class PayloadTooLargeError extends AppError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends AppError {
  readonly code = 'unsupported_media_type';
}

/** The body is not what its Content-Encoding says (not gzip, truncated, bad checksum). */
export class MalformedBodyEncodingError extends AppError {
  readonly code = 'malformed_body_encoding';
}

/** A Content-Encoding the edge does not decode (see ACCEPTED_CONTENT_ENCODINGS). */
export class UnsupportedContentEncodingError extends AppError {
  readonly code = 'unsupported_content_encoding';
}

export class InvalidTokenError extends AppError {
  readonly code = 'invalid_token';
}

export class InvalidCredentialsError extends AppError {
  readonly code = 'invalid_credentials';
}

/** A webhook whose signature header is missing or does not match its body. */
export class InvalidSignatureError extends AppError {
  readonly code = 'invalid_signature';
}

export class CsrfRejectedError extends AppError {
  readonly code = 'csrf_rejected';
}

/** A sensitive step on a session that has not re-authenticated (POST /2fa/reauth) in the last minutes. */
export class ReauthRequiredError extends AppError {
  readonly code = 'reauth_required';
}

export class PermissionDeniedError extends AppError {
  readonly code = 'permission_denied';
}

/** `entity` is a human name such as "Plan"; the detail never echoes the id that was asked for. */
export class NotFoundError extends AppError {
  readonly code = 'not_found';
  constructor(readonly entity: string) {
    super(`${entity} not found`);
  }
}

export class RouteNotFoundError extends AppError {
  readonly code = 'route_not_found';
}

export class ConflictError extends AppError {
  readonly code = 'conflict';
  constructor(readonly entity: string) {
    super(`${entity} already exists`);
  }
}

/** The entity cannot be removed while other records still refer to it. */
export class InUseError extends AppError {
  readonly code = 'in_use';
  constructor(readonly entity: string) {
    super(`${entity} is in use`);
  }
}

/** Changes the current state forbids; the client sees the fixed sentence of the rule, nothing else. */
export const STATE_CONFLICTS = {
  last_super_admin: 'The last active super_admin cannot be demoted, deactivated or deleted',
  own_account: 'An admin cannot deactivate or delete their own account',
  no_config_profile: 'The VPN panel has no config profile to give the server',
  no_inbound: 'The VPN panel has no inbound for the host',
  webhook_invalid: 'A webhook with an invalid signature is never processed',
  webhook_not_retryable: 'Only a failed webhook, or one that never reached the queue, can be retried',
  payment_not_retryable: 'Only a paid payment that failed to apply can be retried',
  notification_not_pending: 'The notification is already sent, failed, cancelled or being sent',
  broadcast_cancelled: 'The broadcast is already cancelled',
} as const;

export class StateConflictError extends AppError {
  readonly code = 'state_conflict';
  constructor(readonly rule: keyof typeof STATE_CONFLICTS) {
    super(`state conflict: ${rule}`);
  }
}

export class SubscriptionExpiredError extends AppError {
  readonly code = 'subscription_expired';
}

export class RateLimitedError extends AppError {
  readonly code = 'rate_limited';
  constructor(readonly retryAfterSeconds: number) {
    super('Rate limit exceeded');
  }
}

/** An outside service (Remnawave, Crypto Pay, Telegram, GitHub) failed or answered nonsense. */
export class UpstreamUnavailableError extends AppError {
  readonly code = 'upstream_unavailable';
  constructor(readonly service: string, message: string, options?: { cause?: unknown }) {
    super(`${service}: ${message}`, options);
  }
}

/**
 * The circuit breaker refused the call: the service is known to be down, an expected condition
 * (the breaker's state change is logged once), so each refusal is counted rather than logged.
 */
export class CircuitOpenError extends UpstreamUnavailableError {
  constructor(service: string) {
    super(service, 'circuit open');
  }
}

export class UpstreamTimeoutError extends AppError {
  readonly code = 'upstream_timeout';
  constructor(readonly service: string, options?: { cause?: unknown }) {
    super(`${service}: timed out`, options);
  }
}

/** An outside service refused what we sent as invalid (its validation): the caller's values, not an outage. */
export class UpstreamRejectedError extends AppError {
  readonly code = 'upstream_rejected';
  constructor(readonly service: string, message: string, options?: { cause?: unknown }) {
    super(`${service} rejected: ${message}`, options);
  }
}

/** What the payment provider refused, as a fixed sentence: its own error names never reach a client. */
export const PAYMENT_REJECTIONS = {
  asset: 'The payment provider does not accept this asset',
  amount: 'The payment provider refused the amount',
  invoice: 'The payment provider refused the invoice',
} as const;

/** Crypto Pay answered `{ok: false}` to what we sent: the caller's values (asset, amount), not an outage. */
export class PaymentRejectedError extends AppError {
  readonly code = 'payment_rejected';
  constructor(
    readonly reason: keyof typeof PAYMENT_REJECTIONS,
    message: string,
  ) {
    super(`payment provider rejected: ${message}`);
  }
}

/** An `Idempotency-Key` this caller already used for a different request. */
export class IdempotencyKeyReusedError extends AppError {
  readonly code = 'idempotency_key_reused';
}

/** The first request with this `Idempotency-Key` is still running after the wait for it ran out. */
export class IdempotencyInFlightError extends AppError {
  readonly code = 'idempotency_in_flight';
}

/** One of our own dependencies (database, Redis, hash pool) cannot take the work right now. */
export class ServiceUnavailableError extends AppError {
  readonly code = 'service_unavailable';
  constructor(
    readonly component: string,
    readonly retryAfterSeconds = 5,
    options?: { cause?: unknown },
  ) {
    super(`${component} unavailable`, options);
  }
}

export class InternalError extends AppError {
  readonly code = 'internal';
}

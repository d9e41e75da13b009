import {
  AppError,
  RateLimitedError,
  RequestValidationError,
  ServiceUnavailableError,
  NotFoundError,
  ConflictError,
  InUseError,
  STATE_CONFLICTS,
  StateConflictError,
  PAYMENT_REJECTIONS,
  PaymentRejectedError,
  type ErrorCode,
  type ValidationIssue,
} from '../shared/errors';

/** The one table from error code to HTTP status and the body a client may see (SPEC.md "Errors"). */
interface ErrorResponse {
  status: number;
  detail: (error: AppError) => string | ValidationIssue[];
  headers?: (error: AppError) => Record<string, string>;
}

const fixed = (detail: string) => () => detail;
const retryAfter = (error: AppError): Record<string, string> => {
  const seconds = error instanceof RateLimitedError || error instanceof ServiceUnavailableError ? error.retryAfterSeconds : 5;
  return { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) };
};
const UPSTREAM = 'Upstream service unavailable';

export const ERROR_CATALOG: Record<ErrorCode, ErrorResponse> = {
  validation_failed: { status: 422, detail: (e) => (e as RequestValidationError).issues },
  malformed_json: { status: 400, detail: fixed('Malformed JSON body') },
  payload_too_large: { status: 413, detail: fixed('Payload too large') },
  unsupported_media_type: { status: 415, detail: fixed('Content-Type must be application/json') },
  malformed_body_encoding: { status: 400, detail: fixed('Body does not match its Content-Encoding') },
  unsupported_content_encoding: { status: 415, detail: fixed('Content-Encoding must be identity, gzip or deflate') },
  invalid_token: {
    status: 401,
    detail: fixed('Invalid or expired token'),
    headers: () => ({ 'WWW-Authenticate': 'Bearer' }),
  },
  invalid_credentials: { status: 401, detail: fixed('Invalid credentials') },
  invalid_signature: { status: 401, detail: fixed('Invalid signature') },
  csrf_rejected: { status: 403, detail: fixed('Cross-site request refused') },
  reauth_required: { status: 403, detail: fixed('Re-authentication required') },
  permission_denied: { status: 403, detail: fixed('Insufficient permissions') },
  not_found: { status: 404, detail: (e) => `${(e as NotFoundError).entity} not found` },
  route_not_found: { status: 404, detail: fixed('Not found') },
  conflict: { status: 409, detail: (e) => `${(e as ConflictError).entity} already exists` },
  in_use: { status: 409, detail: (e) => `${(e as InUseError).entity} is in use` },
  state_conflict: { status: 409, detail: (e) => STATE_CONFLICTS[(e as StateConflictError).rule] },
  subscription_expired: { status: 402, detail: fixed('Subscription expired') },
  rate_limited: { status: 429, detail: fixed('Too many requests'), headers: retryAfter },
  upstream_unavailable: { status: 502, detail: fixed(UPSTREAM) },
  upstream_timeout: { status: 504, detail: fixed(UPSTREAM) },
  upstream_rejected: { status: 422, detail: fixed('The VPN panel refused these values') },
  payment_rejected: { status: 422, detail: (e) => PAYMENT_REJECTIONS[(e as PaymentRejectedError).reason] },
  idempotency_key_reused: { status: 422, detail: fixed('Idempotency key reused with a different request') },
  idempotency_in_flight: { status: 409, detail: fixed('A request with this idempotency key is still in progress') },
  service_unavailable: { status: 503, detail: fixed('Service temporarily unavailable'), headers: retryAfter },
  internal: { status: 500, detail: fixed('Internal server error') },
};

export function renderError(error: AppError): { status: number; body: { detail: string | ValidationIssue[] }; headers: Record<string, string> } {
  const entry = ERROR_CATALOG[error.code];
  return { status: entry.status, body: { detail: entry.detail(error) }, headers: entry.headers?.(error) ?? {} };
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  AppError,
  CircuitOpenError,
  InternalError,
  MalformedBodyEncodingError,
  MalformedJsonError,
  PayloadTooLargeError,
  RequestValidationError,
  RouteNotFoundError,
  UnsupportedContentEncodingError,
  UnsupportedMediaTypeError,
} from '../shared/errors';
import { isDataException } from '../infrastructure/db/pg-errors';
import { asUnavailability } from '../infrastructure/unavailability';
import type { Logger } from '../infrastructure/logger';
import { renderError } from './error-catalog';
import { fromCelebrateError } from './validation';

/**
 * body-parser reports its failures with a `type`; these are the client's fault. 'entity.decode.failed'
 * is the name input-limits.ts gives a decompression failure, which body-parser leaves untyped.
 */
const BODY_PARSER_ERRORS: Record<string, () => AppError> = {
  'entity.parse.failed': () => new MalformedJsonError('Malformed JSON body'),
  'entity.too.large': () => new PayloadTooLargeError('Payload too large'),
  'entity.decode.failed': () => new MalformedBodyEncodingError('Body does not match its Content-Encoding'),
  'encoding.unsupported': () => new UnsupportedContentEncodingError('Unsupported content encoding'),
  'charset.unsupported': () => new UnsupportedMediaTypeError('Unsupported charset'),
  'request.aborted': () => new MalformedJsonError('Request aborted'),
  'request.size.invalid': () => new MalformedJsonError('Request size mismatch'),
};

/** Anything thrown anywhere becomes one of our errors; what is not recognised is a 500. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const validation = fromCelebrateError(error);
  if (validation) return validation;
  const bodyType = (error as { type?: string } | null)?.type;
  const bodyError = bodyType ? BODY_PARSER_ERRORS[bodyType] : undefined;
  if (bodyError) return bodyError();
  // The router decodes path parameters and marks a URIError it cannot decode with status 400.
  if (error instanceof URIError && (error as URIError & { status?: number }).status === 400) {
    return new RequestValidationError([{ loc: ['path'], msg: 'the path is not valid percent-encoded UTF-8', type: 'path.encoding' }]);
  }
  // A value validation let through but PostgreSQL cannot store or compare: still the client's input.
  if (isDataException(error)) {
    return new RequestValidationError([{ loc: ['request'], msg: 'a value is out of range or not representable', type: 'value.unstorable' }]);
  }
  return asUnavailability(error) ?? new InternalError('Unexpected error', { cause: error });
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new RouteNotFoundError('No route'));

export function errorHandler({ logger }: { logger: Logger }): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    const appError = toAppError(error);
    const { status, body, headers } = renderError(appError);
    const original = appError instanceof InternalError ? appError.cause : error;
    if (appError instanceof CircuitOpenError) {
      // Expected while a service is down (its breaker's state change was logged once, the refusals
      // are counted by its client): a stack at error level for each of these 502s would cost more
      // than answering them.
      logger.debug('request refused: circuit open', { status, service: appError.service, route: res.locals.routeTemplate });
    } else if (status >= 500) {
      logger.error('request failed', { status, error: original, method: req.method, route: res.locals.routeTemplate });
    } else {
      logger.debug('request refused', { status, error_code: appError.code, reason: appError.message });
    }
    if (res.headersSent) return next(error);
    res.status(status).set(headers).json(body);
  };
}

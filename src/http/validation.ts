import { celebrate, isCelebrateError, type SchemaOptions } from 'celebrate';
import type { RequestHandler } from 'express';
import type Joi from 'joi';
import { RequestValidationError, type ValidationIssue } from '../shared/errors';
import type { RouteDefinition } from './route-definition';

/** Joi's own wording of these echoes the rejected value, which may be a secret. */
const MESSAGES_WITHOUT_VALUES: Joi.LanguageMessages = {
  'string.pattern.base': '{{#label}} does not match the required format',
  'string.pattern.name': '{{#label}} does not match the {{#name}} format',
  'string.pattern.invert.base': '{{#label}} does not match the required format',
  'string.pattern.invert.name': '{{#label}} does not match the {{#name}} format',
};

const JOI_PREFERENCES: Joi.ValidationOptions = {
  abortEarly: false,
  convert: true,
  messages: MESSAGES_WITHOUT_VALUES,
  errors: { wrap: { label: false } },
};

/** Where a celebrate segment appears in our `loc`, FastAPI-style. */
const LOCATION: Record<string, string> = { params: 'path', query: 'query', body: 'body', headers: 'header', cookies: 'cookie' };

/**
 * Where a request carries a NUL character, by path: PostgreSQL text cannot hold one, so it would
 * fail deep in a query as a 500. No field of this API has a use for it.
 */
function nulCharacterAt(value: unknown, path: (string | number)[], depth = 0): (string | number)[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > 32) return null;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '')];
    const found = nulCharacterAt(child, [...path, Array.isArray(value) ? Number(key) : key], depth + 1);
    if (found) return found;
  }
  return null;
}

const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  for (const segment of ['params', 'query', 'body'] as const) {
    const at = nulCharacterAt(req[segment], [LOCATION[segment]!]);
    if (at) throw new RequestValidationError([{ loc: at, msg: 'must not contain NUL characters', type: 'string.nul' }]);
  }
  next();
};

/** Preferences are attached once, when the route is mounted: passed per call, Joi would compile the messages on every request. */
export function validateRequest(request: NonNullable<RouteDefinition['request']>): RequestHandler[] {
  const schema: SchemaOptions = {};
  if (request.params) schema.params = request.params.prefs(JOI_PREFERENCES);
  if (request.query) schema.query = request.query.prefs(JOI_PREFERENCES);
  if (request.body) schema.body = request.body.prefs(JOI_PREFERENCES);
  if (request.headers) schema.headers = request.headers.unknown(true).prefs(JOI_PREFERENCES);
  return [refuseNulCharacters, celebrate(schema)];
}

export function fromCelebrateError(error: unknown): RequestValidationError | null {
  if (!isCelebrateError(error)) return null;
  const issues: ValidationIssue[] = [];
  for (const [segment, joiError] of error.details) {
    for (const detail of joiError.details) {
      issues.push({ loc: [LOCATION[segment] ?? segment, ...detail.path], msg: detail.message, type: detail.type });
    }
  }
  return new RequestValidationError(issues);
}

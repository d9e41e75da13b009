import type Joi from 'joi';
import parse from 'joi-to-json';
import { fullPath, requiredPermission, type RouteDefinition, type RouteGroup } from './route-definition';

/** Builds the OpenAPI 3.1 document from the same route declarations the router is built from. */

type JsonSchema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const toJsonSchema = (schema: Joi.Schema): JsonSchema => parse(schema, 'open-api-3.1') as JsonSchema;
const toOpenApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

const ERROR_REF = { $ref: '#/components/schemas/Error' };
const VALIDATION_ERROR_REF = { $ref: '#/components/schemas/ValidationError' };
const errorResponse = (description: string, ref = ERROR_REF) => ({ description, content: { 'application/json': { schema: ref } } });

function parameters(route: RouteDefinition): Operation[] {
  const result: Operation[] = [];
  for (const [location, schema] of [
    ['path', route.request?.params],
    ['query', route.request?.query],
    ['header', route.request?.headers],
  ] as const) {
    if (!schema) continue;
    const json = toJsonSchema(schema);
    const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      result.push({ name, in: location, required: location === 'path' || required.has(name), schema: property });
    }
  }
  return result;
}

const REAUTH_REQUIRED = 'Re-authentication required: the session has no re-authentication mark younger than 5 minutes (POST /api/v1/2fa/reauth)';

function responses(route: RouteDefinition): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const contentType = spec.contentType ?? 'application/json';
    result[status] = spec.schema
      ? { description: spec.description, content: { [contentType]: { schema: toJsonSchema(spec.schema) } } }
      : { description: spec.description };
  }
  // The failures every route of a kind shares are documented once, here.
  if (route.request) result['422'] ??= errorResponse('Request validation failed', VALIDATION_ERROR_REF);
  if (route.request?.body) {
    result['400'] ??= errorResponse('Malformed JSON body');
    result['413'] ??= errorResponse('Payload too large');
    result['415'] ??= errorResponse('Body is not JSON');
  }
  if (route.access !== 'public') {
    result['401'] ??= errorResponse('Invalid or expired token');
    if (requiredPermission(route.access)) result['403'] ??= errorResponse('Insufficient permissions');
    if (route.reauth) result['403'] ??= errorResponse(REAUTH_REQUIRED);
  }
  result['429'] ??= errorResponse('Too many requests');
  result['500'] ??= errorResponse('Internal server error');
  return result;
}

function operation(route: RouteDefinition): Operation {
  const op: Operation = {
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [...route.tags],
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    parameters: parameters(route),
    responses: responses(route),
  };
  if (route.access !== 'public') {
    op.security = [{ bearerAuth: [] }, { cookieAuth: [] }, { apiKeyAuth: [] }];
    const permission = requiredPermission(route.access);
    if (permission) op['x-permission'] = permission;
    if (route.reauth) op['x-reauth'] = true;
  }
  if (route.request?.body) {
    op.requestBody = { required: true, content: { 'application/json': { schema: toJsonSchema(route.request.body) } } };
  }
  return op;
}

export function buildOpenApiDocument(groups: readonly RouteGroup[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const group of groups) {
    for (const route of group.routes) {
      const path = toOpenApiPath(fullPath(group, route));
      paths[path] ??= {};
      paths[path][route.method] = operation(route);
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'CyberVPN admin API', version },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        cookieAuth: { type: 'apiKey', in: 'cookie', name: 'access_token' },
        // Service credentials (POST /admins/api-keys): the role's permissions, no session, so
        // operations marked x-reauth and the caller's own account/session routes answer 403.
        apiKeyAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'cvpn_<public id>_<secret>',
          description: "A service API key as `Authorization: Bearer cvpn_...`; acts with its role's permissions",
        },
      },
      schemas: {
        Error: { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } },
        ValidationError: {
          type: 'object',
          required: ['detail'],
          properties: {
            detail: {
              type: 'array',
              items: {
                type: 'object',
                required: ['loc', 'msg', 'type'],
                properties: {
                  loc: { type: 'array', items: { type: ['string', 'integer'] } },
                  msg: { type: 'string' },
                  type: { type: 'string' },
                },
              },
            },
          },
        },
      },
    },
  };
}

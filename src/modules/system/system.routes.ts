import Joi from 'joi';
import swaggerUi from 'swagger-ui-express';
import type { Request } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import { InvalidTokenError, RouteNotFoundError } from '../../shared/errors';
import { safeEqual } from '../../shared/secrets';

/**
 * Liveness, readiness, metrics and the API description, outside /api/v1. Of these only /metrics
 * is rate limited: it checks a token (wrong tries per IP, src/http/rate-limits.ts).
 */
const tags = ['system'];
const componentState = Joi.string().valid('up', 'down');
const readinessSchema = Joi.object({
  status: Joi.string().valid('ready', 'unavailable'),
  components: Joi.object({ database: componentState, redis: componentState }),
});

function assertMetricsToken(req: Request): void {
  const presented = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
  if (!safeEqual(presented, req.container.cradle.config.metricsToken)) {
    throw new InvalidTokenError('Bad metrics token');
  }
}

export const systemRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'Liveness: the process answers',
    tags,
    access: 'public',
    responses: { 200: { description: 'Alive', schema: Joi.object({ status: Joi.string().valid('ok') }) } },
    handler: (_req, res) => {
      res.json({ status: 'ok' });
    },
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'Readiness: PostgreSQL and Redis reachable',
    tags,
    access: 'public',
    responses: {
      200: { description: 'Ready', schema: readinessSchema },
      503: { description: 'A dependency is unreachable; components name which', schema: readinessSchema },
    },
    handler: async (req, res) => {
      const report = await req.container.cradle.readinessProbe.check();
      res.status(report.ready ? 200 : 503);
      if (!report.ready) res.set('Retry-After', '5');
      res.json({ status: report.ready ? 'ready' : 'unavailable', components: report.components });
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN)',
    tags,
    access: 'public',
    responses: {
      200: { description: 'Prometheus text format', schema: Joi.string(), contentType: 'text/plain' },
      401: { description: 'Missing or wrong metrics token' },
    },
    handler: async (req, res) => {
      assertMetricsToken(req);
      const { registry } = req.container.cradle.metrics;
      res.type(registry.contentType).send(await registry.metrics());
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tags,
    access: 'public',
    responses: { 200: { description: 'OpenAPI document', schema: Joi.object().unknown(true) } },
    handler: (req, res) => {
      res.json(req.container.cradle.openApiDocument);
    },
  },
  {
    method: 'get',
    path: '/docs',
    summary: 'Swagger UI over /openapi.json (off in production unless DOCS_ENABLED)',
    tags,
    access: 'public',
    responses: {
      200: { description: 'HTML page', schema: Joi.string(), contentType: 'text/html' },
      301: { description: 'To /docs/' },
    },
    handler: (req, res) => {
      if (!req.container.cradle.config.http.docsEnabled) throw new RouteNotFoundError('Docs disabled');
      // The page loads its assets relative to itself, from under /docs/.
      if (!req.path.endsWith('/')) return res.redirect(301, '/docs/');
      res.send(swaggerUi.generateHTML(undefined, { swaggerOptions: { url: '/openapi.json' } }));
    },
  },
];

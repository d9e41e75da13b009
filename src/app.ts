import express from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { AppContainer } from './container';
import { accessLog } from './http/access-log';
import { corsMiddleware } from './http/cors';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { boundedQuery, jsonBody } from './http/input-limits';
import { mountRoutes } from './http/mount-routes';
import { createRateLimits } from './http/rate-limits';
import { requestScope } from './http/request-scope';
import type { RouteGroup } from './http/route-definition';
import { routeGroups as declaredRouteGroups } from './http/route-table';

export interface CreateAppOptions {
  /** The routes to serve; tests may add groups of their own. Default: every declared route. */
  readonly routeGroups?: readonly RouteGroup[];
}

/**
 * Builds the Express app of one container; listening and shutdown belong to server.ts.
 *
 * The edge, in this order (SPEC "HTTP edge"): request id -> CORS -> security headers -> input
 * limits and body parsing -> rate limits -> routes (auth and permission per route) -> 404 -> error
 * handler. The access log hooks the end of every response right after the request id, so it
 * records what CORS, the parsers and the limiters refuse as well.
 */
export function createApp(container: AppContainer, options: CreateAppOptions = {}): express.Express {
  const { config, logger, metrics, redis } = container.cradle;
  const app = express();
  app.disable('x-powered-by');
  // false (the socket address), a hop count or trusted addresses; never `true` (config refuses it).
  app.set('trust proxy', config.http.trustProxy);
  app.set('query parser', 'simple');

  app.use(requestScope(container));
  // Hooked before body parsing so that requests refused there (400, 413) are logged and measured too.
  app.use(accessLog({ logger, metrics }));
  // Before anything that may refuse the request: a preflight is answered here (204), and every
  // later answer, errors included, carries the CORS headers the browser needs to read it.
  app.use(corsMiddleware(config.http));
  app.use(helmet());
  app.use(boundedQuery);
  app.use(jsonBody(config.http.bodyLimit));

  const limits = createRateLimits({ config, redis, logger, apiKeyVerifier: container.cradle.apiKeyVerifier });
  if (limits.general) app.use(limits.general);

  app.use(mountRoutes(options.routeGroups ?? declaredRouteGroups, limits.forRoute));
  // serveFiles, not serve: its init script must point at /openapi.json in every process, not only
  // in one that happened to render the page first.
  if (config.http.docsEnabled) app.use('/docs', swaggerUi.serveFiles(undefined, { swaggerOptions: { url: '/openapi.json' } }));

  app.use(notFoundHandler);
  app.use(errorHandler({ logger }));
  return app;
}

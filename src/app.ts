import express from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import type { AppContainer } from './container';
import { accessLog } from './http/access-log';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { mountRoutes } from './http/mount-routes';
import { requestScope } from './http/request-scope';
import { routeGroups } from './http/route-table';

/** Builds the Express app of one container; listening and shutdown belong to server.ts. */
export function createApp(container: AppContainer): express.Express {
  const { config, logger, metrics } = container.cradle;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.set('query parser', 'simple');

  app.use(requestScope(container));
  // Hooked before body parsing so that requests refused there (400, 413) are logged and measured too.
  app.use(accessLog({ logger, metrics }));
  app.use(helmet());
  app.use(express.json({ limit: config.http.bodyLimit, type: 'application/json' }));

  app.use(mountRoutes(routeGroups, () => []));
  if (config.http.docsEnabled) app.use('/docs', swaggerUi.serve);

  app.use(notFoundHandler);
  app.use(errorHandler({ logger }));
  return app;
}

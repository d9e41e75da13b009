import type { AddressInfo } from 'node:net';
import { asValue } from 'awilix';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config';
import { createAppServer } from '../src/http/app-server';
import { buildContainer } from '../src/container';
import { accessLog } from '../src/http/access-log';
import { corsMiddleware } from '../src/http/cors';
import { errorHandler, notFoundHandler } from '../src/http/error-handler';
import { boundedQuery, jsonBody } from '../src/http/input-limits';
import { mountRoutes } from '../src/http/mount-routes';
import { createRateLimits } from '../src/http/rate-limits';
import { requestScope } from '../src/http/request-scope';
import { routeGroups } from '../src/http/route-table';
import { PlanRepository } from '../src/modules/plans/plans.repository';

/**
 * One server of bench/edge-steps.bench.ts: a bare Express app with the first `step` edge
 * middlewares of src/app.ts in front of plain /health and /api/v1/plans handlers; past the last
 * middleware, the declared routes (mountRoutes, 404, error handler) replace the plain handlers.
 * BENCH_AUTO_PIPELINING=1 gives the rate limiter a Redis client with ioredis auto-pipelining.
 */
export const STEPS = ['request scope', 'access log', 'CORS', 'helmet', 'query bound', 'JSON parser', 'rate limits'] as const;

const step = Number(process.argv[2]);
const config = loadConfig(process.env);
const container = buildContainer(config);
if (process.env.BENCH_AUTO_PIPELINING === '1') {
  const redis = new Redis(config.redis.url, { enableAutoPipelining: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  container.register({ redis: asValue(redis) });
}
const { logger, metrics, redis } = container.cradle;

const middlewares: RequestHandler[] = [
  requestScope(container),
  accessLog({ logger, metrics }),
  corsMiddleware(config.http),
  helmet(),
  boundedQuery,
  jsonBody(config.http.bodyLimit),
  createRateLimits({ config, redis, logger }).general ?? ((_req, _res, next) => next()),
];

const app = express();
app.disable('x-powered-by');
app.set('query parser', 'simple');
for (const middleware of middlewares.slice(0, step)) app.use(middleware);
if (step > middlewares.length) {
  app.use(mountRoutes(routeGroups, () => []));
  app.use(notFoundHandler);
  app.use(errorHandler({ logger }));
} else {
  const plans = new PlanRepository({ db: container.cradle.db });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/v1/plans', async (_req, res) => {
    res.json(await plans.list({ page: 1, page_size: 20 }, { activeOnly: true }));
  });
}

let lastUsage = process.cpuUsage();
process.on('message', () => {
  const usage = process.cpuUsage(lastUsage);
  lastUsage = process.cpuUsage();
  process.send?.({ cpuMicros: usage.user + usage.system });
});
process.once('SIGTERM', () => process.exit(0));
const server = createAppServer(app);
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));

import type { RequestHandler } from 'express';
import type { Logger } from '../infrastructure/logger';
import type { Metrics } from '../infrastructure/metrics';

/**
 * One log line and one histogram sample per request, labelled by route template so that ids in
 * URLs never become log noise or metric cardinality. It hooks the end of the response, so it sees
 * requests that fail before reaching a route (413, 400) as well.
 */
export function accessLog({ logger, metrics }: { logger: Logger; metrics: Metrics }): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = res.locals.routeTemplate ?? '(unmatched)';
      metrics.httpRequestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.http('request', {
        method: req.method,
        route,
        status: res.statusCode,
        duration_ms: Math.round(seconds * 1e5) / 100,
        request_id: req.context.requestId,
        admin_id: req.context.adminId,
      });
    });
    next();
  };
}

import type { RequestHandler } from 'express';
import type { Logger } from '../infrastructure/logger';
import type { Metrics } from '../infrastructure/metrics';

const CLIENT_CLOSED_REQUEST = 499;

/**
 * One log line and one histogram sample per request, labelled by route template so that ids in
 * URLs never become log noise or metric cardinality. It hooks the end of the response, so it sees
 * requests that fail before reaching a route (413, 400) as well, and those the client abandoned.
 */
export function accessLog({ logger, metrics }: { logger: Logger; metrics: Metrics }): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = res.locals.routeTemplate ?? '(unmatched)';
      // A connection closed before the response was sent has no status of its own: 499, as nginx says.
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST;
      metrics.httpRequestDuration.observe({ method: req.method, route, status: String(status) }, seconds);
      // winston would build the whole entry before its level filter drops it.
      if (!logger.isLevelEnabled('http')) return;
      logger.http('request', {
        method: req.method,
        route,
        status,
        duration_ms: Math.round(seconds * 1e5) / 100,
        request_id: req.context.requestId,
        admin_id: req.context.adminId,
        // Not "api_key_id": the redaction would take any field named like an API key for one.
        service_key_id: req.context.apiKeyId,
      });
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}

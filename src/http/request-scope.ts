import { randomUUID } from 'node:crypto';
import { asValue, type AwilixContainer } from 'awilix';
import type { RequestHandler } from 'express';
import type { Cradle } from '../container';
import type { RequestContext } from '../shared/request-context';

const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware of every request: gives it an id (the client's when well-formed), its own
 * Awilix scope carrying the request context, and runs the rest of the chain inside that context
 * so every log line of the request carries the id. The scope is created on first use of
 * `req.container` (probes and requests the edge refuses never pay for one) and disposed when the
 * response ends.
 */
export function requestScope(container: AwilixContainer<Cradle>): RequestHandler {
  const store = container.cradle.requestContextStore;
  return (req, res, next) => {
    const offered = req.get('x-request-id');
    const requestId = offered && WELL_FORMED_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-ID', requestId);

    const context: RequestContext = { requestId, ip: req.ip ?? 'unknown', userAgent: req.get('user-agent') };
    let scope: AwilixContainer<Cradle> | undefined;
    let disposed = false;
    Object.defineProperty(req, 'container', {
      configurable: true,
      get(): AwilixContainer<Cradle> {
        if (!scope) {
          scope = container.createScope();
          scope.register({ requestContext: asValue(context) });
        }
        return scope;
      },
    });
    req.context = context;

    const dispose = () => {
      if (disposed || !scope) return;
      disposed = true;
      // A failing disposer must not become an unhandled rejection (which ends the process).
      scope.dispose().catch((error: unknown) => {
        container.cradle.logger.error('request scope disposal failed', { error, request_id: requestId });
      });
    };
    res.once('finish', dispose);
    res.once('close', dispose);

    store.run(context, next);
  };
}

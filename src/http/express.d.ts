import type { AwilixContainer } from 'awilix';
import type { Cradle } from '../container';
import type { RequestContext } from '../shared/request-context';
import type { Principal } from './access-guard';

declare global {
  namespace Express {
    interface Request {
      /** The request's own Awilix scope, disposed when the response ends. */
      container: AwilixContainer<Cradle>;
      context: RequestContext;
      /** Exact bytes of the body, kept for signature checks on webhook routes. */
      rawBody?: Buffer;
      /** Set by the access guard on every non-public route. */
      principal?: Principal;
    }
    interface Locals {
      /** The declared route template, for logs and metrics (never the raw URL). */
      routeTemplate?: string;
    }
  }
}

import { Router, type RequestHandler } from 'express';
import typeIs from 'type-is';
import { UnsupportedMediaTypeError } from '../shared/errors';
import { accessGuard } from './access-guard';
import { fullPath, type RouteDefinition, type RouteGroup } from './route-definition';
import { validateRequest } from './validation';

/** Extra middleware the edge adds per route (rate limits), decided from the declaration. */
export type RouteMiddlewareFor = (route: RouteDefinition) => RequestHandler[];

const requireJsonBody: RequestHandler = (req, _res, next) => {
  // `Content-Length: 0` (what most clients send on a bodiless POST) is no body, not a wrong type.
  const hasContent = typeIs.hasBody(req) && req.headers['content-length'] !== '0';
  if (hasContent && !typeIs(req, ['application/json'])) {
    throw new UnsupportedMediaTypeError('Body must be JSON');
  }
  // A write with no body at all is validated as an empty object, so required fields say so.
  req.body ??= {};
  next();
};

/** Builds the router of every declared route: template, edge extras, access, body, validation, handler. */
export function mountRoutes(groups: readonly RouteGroup[], extrasFor: RouteMiddlewareFor): Router {
  const router = Router();
  for (const group of groups) {
    for (const route of group.routes) {
      const template = fullPath(group, route);
      const chain: RequestHandler[] = [
        (_req, res, next) => {
          res.locals.routeTemplate = template;
          next();
        },
        ...extrasFor(route),
      ];
      const guard = accessGuard(route.access, route.reauth === true);
      if (guard) chain.push(guard);
      if (route.request?.body) chain.push(requireJsonBody);
      if (route.request) chain.push(...validateRequest(route.request));
      chain.push(async (req, res) => route.handler(req, res));
      router[route.method](template, ...chain);
    }
  }
  return router;
}

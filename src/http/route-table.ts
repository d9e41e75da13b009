import type { RouteGroup } from './route-definition';
import { systemRoutes } from '../modules/system/system.routes';
import { planRoutes } from '../modules/plans/plans.routes';
import { authRoutes } from '../modules/auth/auth.routes';

/** Every route the API serves, by mount prefix: the router and the OpenAPI document read this. */
export const API_PREFIX = '/api/v1';

export const routeGroups: readonly RouteGroup[] = [
  { prefix: '', routes: systemRoutes },
  { prefix: API_PREFIX, routes: [...authRoutes, ...planRoutes] },
];

import type { Request } from 'express';
import { identifyCaller } from '../../http/access-guard';
import type { RouteDefinition } from '../../http/route-definition';
import { PermissionDeniedError } from '../../shared/errors';
import type { PageRequest } from '../../shared/pagination';
import { hasPermission } from '../../shared/permissions';
import { ACCESS_COOKIE, readCookie } from '../auth/auth.cookies';
import { createPlanBody, listPlansQuery, planIdParams, planPageSchema, planSchema, updatePlanBody } from './plans.schemas';

const tags = ['plans'];
const idOf = (params: unknown) => (params as { id: string }).id;

/** Whether the caller may see inactive plans; credentials that were sent are checked (401 when bad). */
async function managesPlans(req: Request): Promise<boolean> {
  if (req.get('authorization') === undefined && readCookie(req, ACCESS_COOKIE) === undefined) return false;
  return hasPermission((await identifyCaller(req)).role, 'manage_plans');
}

export const planRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/plans',
    summary: 'List the active subscription plans (all of them with include_inactive=true, for manage_plans)',
    tags,
    access: 'public',
    request: { query: listPlansQuery },
    responses: {
      200: { description: 'Plans, by sort order', schema: planPageSchema },
      401: { description: 'include_inactive=true without valid credentials' },
      403: { description: 'include_inactive=true without manage_plans' },
    },
    handler: async (req, res) => {
      const { include_inactive: includeInactive, ...page } = req.query as unknown as PageRequest & { include_inactive: boolean };
      const { planService } = req.container.cradle;
      if (!includeInactive) {
        res.json(await planService.listActive(page));
        return;
      }
      // Asking for inactive plans is asking as an operator of the catalogue: say so when it is not one.
      if (!(await managesPlans(req))) {
        if (req.principal === undefined) await identifyCaller(req);
        throw new PermissionDeniedError('include_inactive needs manage_plans');
      }
      res.json(await planService.listAll(page));
    },
  },
  {
    method: 'get',
    path: '/plans/:id',
    summary: 'One plan: an active one for anyone, an inactive one only for manage_plans',
    description:
      'Public. Credentials, when sent, are checked first (401 when invalid, whatever the plan), so the answer for an inactive plan (404 without manage_plans) cannot be told from that for a missing one.',
    tags,
    access: 'public',
    request: { params: planIdParams },
    responses: { 200: { description: 'The plan', schema: planSchema }, 401: { description: 'Credentials sent but invalid' }, 404: { description: 'Plan not found' } },
    handler: async (req, res) => {
      const includeInactive = await managesPlans(req);
      res.json(await req.container.cradle.planService.getVisible(idOf(req.params), { includeInactive }));
    },
  },
  {
    method: 'post',
    path: '/plans',
    summary: 'Create a plan',
    tags,
    access: 'manage_plans',
    request: { body: createPlanBody },
    responses: { 201: { description: 'Created', schema: planSchema }, 409: { description: 'Plan already exists' } },
    handler: async (req, res) => {
      res.status(201).json(await req.container.cradle.planService.create(req.body));
    },
  },
  {
    method: 'patch',
    path: '/plans/:id',
    summary: 'Change a plan',
    tags,
    access: 'manage_plans',
    request: { params: planIdParams, body: updatePlanBody },
    responses: {
      200: { description: 'Updated', schema: planSchema },
      404: { description: 'Plan not found' },
      409: { description: 'Plan already exists' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.planService.update(idOf(req.params), req.body));
    },
  },
  {
    method: 'delete',
    path: '/plans/:id',
    summary: 'Delete a plan no payment refers to',
    tags,
    access: 'manage_plans',
    request: { params: planIdParams },
    responses: {
      204: { description: 'Deleted' },
      404: { description: 'Plan not found' },
      409: { description: 'Plan is in use' },
    },
    handler: async (req, res) => {
      await req.container.cradle.planService.delete(idOf(req.params));
      res.status(204).end();
    },
  },
];

import type { RouteDefinition } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import { createPlanBody, listPlansQuery, planIdParams, planPageSchema, planSchema, updatePlanBody } from './plans.schemas';

const tags = ['plans'];
const idOf = (params: unknown) => (params as { id: string }).id;

export const planRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/plans',
    summary: 'List the active subscription plans',
    tags,
    access: 'public',
    request: { query: listPlansQuery },
    responses: { 200: { description: 'Active plans, by sort order', schema: planPageSchema } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.planService.listActive(req.query as unknown as PageRequest));
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

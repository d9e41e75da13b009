import Joi from 'joi';
import type { RouteDefinition } from '../../http/route-definition';

const tags = ['monitoring'];
const component = Joi.object({ status: Joi.string().valid('up', 'down'), latency_ms: Joi.number().integer() });

export const monitoringRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/monitoring/health',
    summary: 'Health of every component: healthy, degraded (the panel down) or unhealthy (database or Redis down)',
    tags,
    access: 'monitoring_read',
    responses: {
      200: {
        description: 'The report (also when something is down: it is what the report is for)',
        schema: Joi.object({
          status: Joi.string().valid('healthy', 'degraded', 'unhealthy'),
          components: Joi.object({ database: component, redis: component, remnawave: component }).unknown(true),
        }),
      },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.monitoringService.health());
    },
  },
  {
    method: 'get',
    path: '/monitoring/stats',
    summary: 'Users and servers counts and lifetime traffic, from the VPN panel',
    tags,
    access: 'monitoring_read',
    responses: {
      200: {
        description: 'Counts',
        schema: Joi.object({
          total_users: Joi.number().integer(),
          active_users: Joi.number().integer(),
          online_users: Joi.number().integer(),
          total_servers: Joi.number().integer(),
          online_servers: Joi.number().integer(),
          total_traffic_bytes: Joi.number().integer(),
        }),
      },
      502: { description: 'Upstream service unavailable' },
      504: { description: 'Upstream service unavailable' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.monitoringService.stats());
    },
  },
];

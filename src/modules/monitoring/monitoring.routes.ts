import Joi from 'joi';
import type { RouteDefinition } from '../../http/route-definition';
import { BANDWIDTH_PERIODS, type BandwidthPeriod } from './bandwidth';

const tags = ['monitoring'];
const component = Joi.object({ status: Joi.string().valid('up', 'down'), latency_ms: Joi.number().integer() });
const queueStats = Joi.object({
  status: Joi.string().valid('ok', 'degraded'),
  waiting: Joi.number().integer(),
  active: Joi.number().integer(),
  failed: Joi.number().integer(),
  delayed: Joi.number().integer(),
  oldest_waiting_age_seconds: Joi.number().integer(),
});
const queuesComponent = Joi.object({
  status: Joi.string().valid('up', 'down', 'degraded').description('degraded: a queue is past QUEUE_WAITING_DEGRADED, QUEUE_OLDEST_WAITING_DEGRADED or QUEUE_FAILED_DEGRADED'),
  latency_ms: Joi.number().integer(),
  queues: Joi.object().pattern(Joi.string(), queueStats).description('Per queue (absent when Redis is unreachable)'),
});

export const monitoringRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/monitoring/health',
    summary: 'Health of every component: healthy, degraded (the panel down, a queue backed up) or unhealthy (database or Redis down)',
    tags,
    access: 'monitoring_read',
    responses: {
      200: {
        description: 'The report (also when something is down: it is what the report is for)',
        schema: Joi.object({
          status: Joi.string().valid('healthy', 'degraded', 'unhealthy'),
          components: Joi.object({ database: component, redis: component, remnawave: component, queues: queuesComponent }).unknown(true),
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
  {
    method: 'get',
    path: '/monitoring/bandwidth',
    summary: 'Traffic over today, the last 7 or the last 30 UTC days, from the VPN panel',
    description:
      'bytes_total is what the panel measured over the period (its nodes usage). The panel keeps no ' +
      'upload/download split by period, so bytes_in (client upload) and bytes_out (download) divide the total ' +
      'in the proportion of its nodes\' inbound counters: split "estimated"; null with split "unavailable" when ' +
      'the nodes report no counters.',
    tags,
    access: 'view_analytics',
    request: { query: Joi.object({ period: Joi.string().valid(...BANDWIDTH_PERIODS).default('today') }) },
    responses: {
      200: {
        description: 'Traffic of the period',
        schema: Joi.object({
          period: Joi.string().valid(...BANDWIDTH_PERIODS),
          start: Joi.string().isoDate().description('First UTC day, YYYY-MM-DD'),
          end: Joi.string().isoDate().description('Last UTC day (today), YYYY-MM-DD'),
          bytes_total: Joi.number().integer(),
          bytes_in: Joi.number().integer().allow(null),
          bytes_out: Joi.number().integer().allow(null),
          split: Joi.string().valid('estimated', 'unavailable'),
        }),
      },
      502: { description: 'Upstream service unavailable' },
      504: { description: 'Upstream service unavailable' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.monitoringService.bandwidth((req.query as { period: BandwidthPeriod }).period));
    },
  },
];

import type { RedisClient } from '../../infrastructure/redis/redis';
import type { Knex } from 'knex';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { QueueMonitor, QueueStats } from '../../infrastructure/queues/queue-monitor';
import { bandwidthOf, periodRange, type Bandwidth, type BandwidthPeriod } from './bandwidth';

/**
 * What the admin dashboard shows about the system. Health checks every component at once, each
 * bounded in time; a new component (the payment queues) is one more entry in `checks()`.
 */
export type ComponentStatus = 'up' | 'down' | 'degraded';
export interface ComponentHealth {
  status: ComponentStatus;
  latency_ms: number;
  /** The queues component: each queue's counts and its own status. */
  queues?: Record<string, QueueStats>;
}

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  components: Record<string, ComponentHealth>;
}

export interface SystemStats {
  total_users: number;
  active_users: number;
  online_users: number;
  total_servers: number;
  online_servers: number;
  total_traffic_bytes: number;
}

/** Without these this service cannot serve at all; anything else down is degraded. */
const ESSENTIAL = new Set(['database', 'redis']);
const CHECK_TIMEOUT_MS = 2000;

async function timed(check: () => Promise<unknown>, judge: (result: unknown) => Partial<ComponentHealth> = () => ({})): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('health check timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([check(), timeout]);
    return { status: 'up', latency_ms: Math.round(performance.now() - started), ...judge(result) };
  } catch {
    return { status: 'down', latency_ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

export class MonitoringService {
  private readonly db: Knex;
  private readonly redis: RedisClient;
  private readonly remnawaveClient: RemnawaveClient;
  private readonly queueMonitor: QueueMonitor;

  constructor({ db, redis, remnawaveClient, queueMonitor }: { db: Knex; redis: RedisClient; remnawaveClient: RemnawaveClient; queueMonitor: QueueMonitor }) {
    this.db = db;
    this.redis = redis;
    this.remnawaveClient = remnawaveClient;
    this.queueMonitor = queueMonitor;
  }

  async health(): Promise<HealthReport> {
    const entries = Object.entries(this.checks());
    const results = await Promise.all(entries.map(async ([name, [check, judge]]) => [name, await timed(check, judge)] as const));
    const components = Object.fromEntries(results);
    const down = results.filter(([, health]) => health.status === 'down').map(([name]) => name);
    const degraded = down.length > 0 || results.some(([, health]) => health.status === 'degraded');
    const status = down.some((name) => ESSENTIAL.has(name)) ? 'unhealthy' : degraded ? 'degraded' : 'healthy';
    return { status, components };
  }

  async stats(): Promise<SystemStats> {
    const [system, nodes] = await Promise.all([this.remnawaveClient.systemStats(), this.remnawaveClient.listNodes()]);
    return {
      total_users: system.users.totalUsers,
      active_users: system.users.statusCounts.ACTIVE ?? 0,
      online_users: system.onlineStats.onlineNow,
      total_servers: nodes.length,
      online_servers: system.nodes.totalOnline,
      total_traffic_bytes: Number(system.nodes.totalBytesLifetime),
    };
  }

  async bandwidth(period: BandwidthPeriod): Promise<Bandwidth> {
    const range = periodRange(period, new Date());
    const [usage, metrics] = await Promise.all([this.remnawaveClient.nodesUsage(range.start, range.end), this.remnawaveClient.nodesMetrics()]);
    return bandwidthOf(period, range, usage, metrics);
  }

  /** Each component's check, and how its result reads beyond up/down. */
  private checks(): Record<string, [() => Promise<unknown>, ((result: unknown) => Partial<ComponentHealth>)?]> {
    return {
      database: [() => this.db.raw('select 1')],
      redis: [() => this.redis.ping()],
      remnawave: [() => this.remnawaveClient.health()],
      queues: [
        () => this.queueMonitor.snapshot(),
        (result) => {
          const queues = result as Record<string, QueueStats>;
          return { status: Object.values(queues).some((queue) => queue.status === 'degraded') ? 'degraded' : 'up', queues };
        },
      ],
    };
  }
}

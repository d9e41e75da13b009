import type { RedisClient } from './redis/redis';
import type { Knex } from 'knex';

export type ComponentState = 'up' | 'down';
export interface ReadinessReport {
  ready: boolean;
  components: { database: ComponentState; redis: ComponentState };
}

const CHECK_TIMEOUT_MS = 2000;

function withinTimeout(check: Promise<unknown>): Promise<ComponentState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ComponentState>((resolve) => {
    timer = setTimeout(() => resolve('down'), CHECK_TIMEOUT_MS);
  });
  const outcome = check.then(
    () => 'up' as const,
    () => 'down' as const,
  );
  return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer));
}

/** Answers whether this process can serve: PostgreSQL and Redis both reachable. */
export class ReadinessProbe {
  private readonly db: Knex;
  private readonly redis: RedisClient;

  constructor({ db, redis }: { db: Knex; redis: RedisClient }) {
    this.db = db;
    this.redis = redis;
  }

  async check(): Promise<ReadinessReport> {
    const [database, redis] = await Promise.all([withinTimeout(this.db.raw('select 1')), withinTimeout(this.redis.ping())]);
    return { ready: database === 'up' && redis === 'up', components: { database, redis } };
  }
}

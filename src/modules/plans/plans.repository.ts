import type { Knex } from 'knex';
import { ConflictError, InUseError } from '../../shared/errors';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';
import { isForeignKeyViolation, isUniqueViolation } from '../../infrastructure/db/pg-errors';

/** Subscription plans: the local catalogue that invoices are priced from. */
export interface Plan {
  id: string;
  name: string;
  tier: string;
  duration_days: number;
  /** NUMERIC travels as a string so no cent is lost to floating point. */
  price: string;
  currency: string;
  traffic_limit_bytes: number | null;
  device_limit: number;
  features: string[];
  is_active: boolean;
  sort_order: number;
  created_at: Date;
  updated_at: Date;
}

export type NewPlan = Omit<Plan, 'id' | 'created_at' | 'updated_at' | 'price'> & { price: number | string };
export type PlanChanges = Partial<NewPlan>;

const TABLE = 'subscription_plans';
const COLUMNS = [
  'id',
  'name',
  'tier',
  'duration_days',
  'price',
  'currency',
  'traffic_limit_bytes',
  'device_limit',
  'features',
  'is_active',
  'sort_order',
  'created_at',
  'updated_at',
] as const;

const toRow = (plan: PlanChanges) => (plan.features ? { ...plan, features: JSON.stringify(plan.features) } : plan);

export class PlanRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async list(page: PageRequest, { activeOnly }: { activeOnly: boolean }): Promise<Page<Plan>> {
    const query = this.db<Plan>(TABLE).modify((q) => {
      if (activeOnly) q.where({ is_active: true });
    });
    const [items, counted] = await Promise.all([
      query.clone().select(COLUMNS).orderBy([{ column: 'sort_order' }, { column: 'name' }]).limit(page.page_size).offset(offsetOf(page)),
      query.clone().count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items: items as Plan[], total: Number(counted[0]?.count ?? 0), ...page };
  }

  async findById(id: string): Promise<Plan | undefined> {
    return (await this.db<Plan>(TABLE).select(COLUMNS).where({ id }).first()) as Plan | undefined;
  }

  async create(plan: NewPlan): Promise<Plan> {
    try {
      const [created] = await this.db(TABLE).insert(toRow(plan)).returning(COLUMNS);
      return created as Plan;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('Plan');
      throw error;
    }
  }

  async update(id: string, changes: PlanChanges): Promise<Plan | undefined> {
    try {
      const [updated] = await this.db(TABLE)
        .where({ id })
        .update({ ...toRow(changes), updated_at: this.db.fn.now() })
        .returning(COLUMNS);
      return updated as Plan | undefined;
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('Plan');
      throw error;
    }
  }

  async delete(id: string): Promise<boolean> {
    try {
      return (await this.db(TABLE).where({ id }).delete()) > 0;
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new InUseError('Plan');
      throw error;
    }
  }
}

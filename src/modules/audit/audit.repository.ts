import type { Knex } from 'knex';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';

/** The append-only record of who did what: admin actions, logins, session revocations. */
export interface AuditEntry {
  id: string;
  admin_id: string | null;
  /** The API key the change was made with, when a service made it. */
  api_key_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  old_value: unknown;
  new_value: unknown;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  /** The worker job that made the change, when a job did. */
  job_id: string | null;
  created_at: Date;
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'created_at'>;

export interface AuditFilters {
  admin_id?: string;
  action?: string;
  entity_type?: string;
  from?: Date;
  to?: Date;
}

const TABLE = 'audit_logs';
const asJson = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

export class AuditRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(entry: NewAuditEntry, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).insert({ ...entry, old_value: asJson(entry.old_value), new_value: asJson(entry.new_value) });
  }

  async list(filters: AuditFilters, page: PageRequest): Promise<Page<AuditEntry>> {
    const query = this.db<AuditEntry>(TABLE).modify((q) => {
      if (filters.admin_id) q.where('admin_id', filters.admin_id);
      if (filters.action) q.where('action', filters.action);
      if (filters.entity_type) q.where('entity_type', filters.entity_type);
      if (filters.from) q.where('created_at', '>=', filters.from);
      if (filters.to) q.where('created_at', '<', filters.to);
    });
    const [items, counted] = await Promise.all([
      query.clone().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.page_size).offset(offsetOf(page)),
      query.clone().count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items: items as AuditEntry[], total: Number(counted[0]?.count ?? 0), ...page };
  }
}

import type { Knex } from 'knex';
import { ConflictError } from '../../shared/errors';
import type { Role } from '../../shared/permissions';
import { isUniqueViolation } from '../../infrastructure/db/pg-errors';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';

/** An admin account as stored, secrets included: it never leaves the services. */
export interface AdminRecord {
  id: string;
  login: string;
  email: string | null;
  password_hash: string;
  role: Role;
  telegram_id: number | null;
  is_active: boolean;
  totp_secret_encrypted: string | null;
  totp_enabled: boolean;
  backup_code_hashes: string[];
  last_login_at: Date | null;
  last_login_ip: string | null;
  created_at: Date;
  updated_at: Date;
}

/** What the API shows of an admin. */
export interface AdminView {
  id: string;
  login: string;
  email: string | null;
  role: Role;
  telegram_id: number | null;
  is_active: boolean;
  totp_enabled: boolean;
  created_at: Date;
  last_login_at: Date | null;
}

export const toAdminView = (admin: AdminRecord): AdminView => ({
  id: admin.id,
  login: admin.login,
  email: admin.email,
  role: admin.role,
  telegram_id: admin.telegram_id,
  is_active: admin.is_active,
  totp_enabled: admin.totp_enabled,
  created_at: admin.created_at,
  last_login_at: admin.last_login_at,
});

export type NewAdmin = Pick<AdminRecord, 'login' | 'password_hash' | 'role'> & Partial<Pick<AdminRecord, 'email' | 'telegram_id'>>;
export type AdminChanges = Partial<
  Pick<AdminRecord, 'email' | 'role' | 'telegram_id' | 'is_active' | 'password_hash' | 'totp_secret_encrypted' | 'totp_enabled' | 'backup_code_hashes'>
>;

const TABLE = 'admin_users';

/** Logins and emails are matched trimmed and case-insensitively, as their unique indexes compare them. */
export const normaliseLogin = (loginOrEmail: string): string => loginOrEmail.trim().toLowerCase();

/** Which unique field a duplicate hit, from the constraint PostgreSQL names. */
function duplicateOf(error: unknown): ConflictError {
  const constraint = String((error as { constraint?: string }).constraint ?? '');
  if (constraint.includes('email')) return new ConflictError('Email');
  if (constraint.includes('telegram')) return new ConflictError('Telegram account');
  return new ConflictError('Login');
}

export class AdminRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async findById(id: string, trx: Knex = this.db): Promise<AdminRecord | undefined> {
    return trx<AdminRecord>(TABLE).where({ id }).first();
  }

  /** The row as it is now, locked until the transaction ends: the base of a checked change. */
  async findByIdForUpdate(id: string, trx: Knex.Transaction): Promise<AdminRecord | undefined> {
    return trx<AdminRecord>(TABLE).where({ id }).forUpdate().first();
  }

  /** Login and email are matched case-insensitively, as their unique indexes are. */
  async findByLoginOrEmail(loginOrEmail: string): Promise<AdminRecord | undefined> {
    const needle = normaliseLogin(loginOrEmail);
    return this.db<AdminRecord>(TABLE)
      .whereRaw('lower(login) = ?', [needle])
      .orWhereRaw('lower(email) = ?', [needle])
      .orderByRaw('lower(login) = ? desc', [needle])
      .first();
  }

  async list(page: PageRequest): Promise<Page<AdminRecord>> {
    const [items, counted] = await Promise.all([
      this.db<AdminRecord>(TABLE).orderBy('created_at', 'asc').limit(page.page_size).offset(offsetOf(page)),
      this.db(TABLE).count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items, total: Number(counted[0]?.count ?? 0), ...page };
  }

  async create(admin: NewAdmin, trx: Knex = this.db): Promise<AdminRecord> {
    try {
      const [created] = await trx<AdminRecord>(TABLE).insert(admin).returning('*');
      return created as AdminRecord;
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateOf(error);
      throw error;
    }
  }

  async update(id: string, changes: AdminChanges, trx: Knex = this.db): Promise<AdminRecord | undefined> {
    try {
      const [updated] = await trx<AdminRecord>(TABLE).where({ id }).update(changes).returning('*');
      return updated;
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateOf(error);
      throw error;
    }
  }

  async delete(id: string, trx: Knex = this.db): Promise<boolean> {
    return (await trx(TABLE).where({ id }).delete()) > 0;
  }

  async recordLogin(id: string, ip: string): Promise<void> {
    await this.db(TABLE).where({ id }).update({ last_login_at: this.db.fn.now(), last_login_ip: ip });
  }

  /** Active super_admins, counted under a row lock so two demotions cannot both pass the check. */
  async countActiveSuperAdminsForUpdate(trx: Knex.Transaction): Promise<number> {
    // Ordered, so two transactions lock the same rows in the same order and cannot deadlock.
    const rows = await trx(TABLE).select('id').where({ role: 'super_admin', is_active: true }).orderBy('id').forUpdate();
    return rows.length;
  }
}

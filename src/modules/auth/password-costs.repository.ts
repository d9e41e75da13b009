import type { Knex } from 'knex';

/**
 * The dearest bcrypt cost among stored password hashes. A login is charged at least this much
 * work whatever it finds (src/modules/auth/auth.service.ts), so an account whose hash was made at
 * another cost (older settings, a CLI run with other settings) cannot be told apart by timing.
 * One aggregate over admin_users per login: the table holds staff accounts, not customers.
 */
export class PasswordCostRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async highestStoredCost(): Promise<number | null> {
    const result = await this.db.raw<{ rows: { cost: number | null }[] }>(
      `select max((substring(password_hash from '^\\$2[aby]\\$([0-9]{2})\\$'))::int) as cost from admin_users`,
    );
    return result.rows[0]?.cost ?? null;
  }
}

import type { Knex } from 'knex';

/**
 * Refresh tokens, stored by hash. A login session is a family of tokens: each rotation adds one
 * and marks its predecessor replaced; revoking a session revokes its whole family.
 */
export interface RefreshTokenRecord {
  id: string;
  admin_id: string;
  token_hash: string;
  family_id: string;
  replaced_by: string | null;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
}

export interface SessionSummary {
  id: string;
  created_at: Date;
  last_used_at: Date;
  ip: string | null;
  user_agent: string | null;
}

const TABLE = 'refresh_tokens';

export class SessionRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(
    token: Pick<RefreshTokenRecord, 'admin_id' | 'token_hash' | 'family_id' | 'expires_at' | 'ip' | 'user_agent'>,
    trx: Knex = this.db,
  ): Promise<RefreshTokenRecord> {
    const [created] = await trx<RefreshTokenRecord>(TABLE).insert(token).returning('*');
    return created as RefreshTokenRecord;
  }

  /** Locks the row so two concurrent refreshes with one token cannot both rotate it. */
  async findByHashForUpdate(tokenHash: string, trx: Knex.Transaction): Promise<RefreshTokenRecord | undefined> {
    return trx<RefreshTokenRecord>(TABLE).where({ token_hash: tokenHash }).forUpdate().first();
  }

  async findByHash(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    return this.db<RefreshTokenRecord>(TABLE).where({ token_hash: tokenHash }).first();
  }

  async markReplaced(id: string, replacedBy: string, trx: Knex): Promise<void> {
    await trx(TABLE).where({ id }).update({ replaced_by: replacedBy, last_used_at: trx.fn.now() });
  }

  async revokeFamily(familyId: string, trx: Knex = this.db): Promise<number> {
    return trx(TABLE).where({ family_id: familyId }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
  }

  /** Revokes a live session only if it is this admin's; the count says whether there was one. */
  async revokeFamilyOf(adminId: string, familyId: string): Promise<number> {
    return this.db(TABLE)
      .where({ family_id: familyId, admin_id: adminId })
      .whereNull('revoked_at')
      .where('expires_at', '>', this.db.fn.now())
      .update({ revoked_at: this.db.fn.now() });
  }

  /** Revokes every session of an admin, or every one but `exceptFamilyId`. */
  async revokeAllOf(adminId: string, exceptFamilyId?: string, trx: Knex = this.db): Promise<number> {
    return trx(TABLE)
      .where({ admin_id: adminId })
      .whereNull('revoked_at')
      .modify((q) => {
        if (exceptFamilyId) q.whereNot({ family_id: exceptFamilyId });
      })
      .update({ revoked_at: trx.fn.now() });
  }

  /**
   * Credentials issued before `at` that live outside this table (tfa tokens of a login half
   * done) are refused from now on: admin_users.sessions_valid_after only ever moves forward.
   */
  async invalidateIssuedBefore(adminId: string, at: Date, trx: Knex = this.db): Promise<void> {
    await trx('admin_users')
      .where({ id: adminId })
      .update({ sessions_valid_after: trx.raw('greatest(coalesce(sessions_valid_after, ?::timestamptz), ?::timestamptz)', [at, at]) });
  }

  async issuedNotBefore(adminId: string): Promise<Date | null> {
    const row = (await this.db('admin_users').where({ id: adminId }).first('sessions_valid_after')) as { sessions_valid_after: Date | null } | undefined;
    return row?.sessions_valid_after ?? null;
  }

  /** A session is live while its newest token is neither revoked nor expired. */
  async listLive(adminId: string): Promise<SessionSummary[]> {
    return this.db(TABLE)
      .select(
        'family_id as id',
        this.db.raw('min(created_at) as created_at'),
        this.db.raw('max(coalesce(last_used_at, created_at)) as last_used_at'),
        this.db.raw('(array_agg(ip order by created_at desc))[1] as ip'),
        this.db.raw('(array_agg(user_agent order by created_at desc))[1] as user_agent'),
      )
      .where({ admin_id: adminId })
      .groupBy('family_id')
      .havingRaw('bool_and(revoked_at is null) and max(expires_at) > now()')
      .orderBy('last_used_at', 'desc');
  }
}

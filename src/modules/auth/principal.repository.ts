import type { Knex } from 'knex';
import type { Role } from '../../shared/permissions';

interface PrincipalState {
  role: Role;
  is_active: boolean;
  session_live: boolean;
}

/**
 * The per-request check behind "revoked means refused on the very next request": one indexed
 * query for the admin's current role and state and whether the token's session is still live.
 */
export class PrincipalRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /** The role the admin acts with now, or undefined once the account is inactive or the session ended. */
  async liveRole(adminId: string, sessionId: string): Promise<Role | undefined> {
    const state = await this.load(adminId, sessionId);
    return state?.is_active && state.session_live ? state.role : undefined;
  }

  private async load(adminId: string, sessionId: string): Promise<PrincipalState | undefined> {
    const result = await this.db.raw<{ rows: PrincipalState[] }>(
      `select a.role, a.is_active,
              exists(select 1 from refresh_tokens r
                      where r.family_id = ? and r.admin_id = a.id
                        and r.revoked_at is null and r.replaced_by is null and r.expires_at > now()) as session_live
         from admin_users a
        where a.id = ?`,
      [sessionId, adminId],
    );
    return result.rows[0];
  }
}

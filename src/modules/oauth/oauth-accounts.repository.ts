import type { Knex } from 'knex';
import { ConflictError } from '../../shared/errors';
import { isUniqueViolation } from '../../infrastructure/db/pg-errors';
import type { OAuthProvider } from './oauth-state.store';

/** An outside account linked to an admin, as stored (the token encrypted): never leaves the services. */
export interface OAuthAccountRecord {
  id: string;
  admin_id: string;
  provider: OAuthProvider;
  provider_user_id: string;
  provider_username: string | null;
  access_token_encrypted: string | null;
  refresh_token_encrypted: string | null;
  created_at: Date;
  updated_at: Date;
}

export type NewOAuthAccount = Pick<OAuthAccountRecord, 'admin_id' | 'provider' | 'provider_user_id' | 'provider_username' | 'access_token_encrypted'>;

const TABLE = 'oauth_accounts';
const DUPLICATE = 'OAuth account';

export class OAuthAccountRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  /**
   * Links in one statement: a new link is inserted; linking again the account the admin already
   * has refreshes its username and token. The account linked to another admin, or a second
   * account of the same provider for this admin, is a conflict (the unique indexes decide, so two
   * concurrent links cannot both win).
   */
  async link(account: NewOAuthAccount, trx: Knex = this.db): Promise<OAuthAccountRecord> {
    let rows: OAuthAccountRecord[];
    try {
      rows = await trx<OAuthAccountRecord>(TABLE)
        .insert(account)
        .onConflict(['provider', 'provider_user_id'])
        .merge(['provider_username', 'access_token_encrypted'])
        .where(`${TABLE}.admin_id`, account.admin_id)
        .returning('*');
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(DUPLICATE);
      throw error;
    }
    const [linked] = rows;
    // The conflicting row belongs to another admin: the merge's condition left it untouched.
    if (!linked) throw new ConflictError(DUPLICATE);
    return linked;
  }

  async findByProviderUser(provider: OAuthProvider, providerUserId: string): Promise<OAuthAccountRecord | undefined> {
    return this.db<OAuthAccountRecord>(TABLE).where({ provider, provider_user_id: providerUserId }).first();
  }

  /** After a sign-in through the account: the latest username and token. */
  async refresh(id: string, changes: Pick<OAuthAccountRecord, 'provider_username' | 'access_token_encrypted'>): Promise<void> {
    await this.db(TABLE).where({ id }).update(changes);
  }

  async listOf(adminId: string): Promise<OAuthAccountRecord[]> {
    return this.db<OAuthAccountRecord>(TABLE).where({ admin_id: adminId }).orderBy('provider');
  }

  /** Every link of an admin, removed; answers what was removed (for the audit). */
  async removeAllOf(adminId: string, trx: Knex = this.db): Promise<OAuthAccountRecord[]> {
    return trx<OAuthAccountRecord>(TABLE).where({ admin_id: adminId }).delete().returning('*');
  }

  async remove(adminId: string, provider: OAuthProvider, trx: Knex = this.db): Promise<OAuthAccountRecord | undefined> {
    const [removed] = await trx<OAuthAccountRecord>(TABLE).where({ admin_id: adminId, provider }).delete().returning('*');
    return removed;
  }
}

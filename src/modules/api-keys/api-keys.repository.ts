import type { Knex } from 'knex';
import type { Role } from '../../shared/permissions';

/** A service credential as stored: the hash of its key, never the key. */
export interface ApiKeyRecord {
  id: string;
  public_id: string;
  name: string;
  role: Role;
  key_hash: string;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  created_at: Date;
}

export type NewApiKey = Pick<ApiKeyRecord, 'public_id' | 'name' | 'role' | 'key_hash' | 'created_by' | 'expires_at'>;
/** What a list shows: everything but the hash. */
export type ApiKeyListing = Omit<ApiKeyRecord, 'key_hash'>;
/** What a request authenticated by a key needs to know about it. */
export type LiveApiKey = Pick<ApiKeyRecord, 'id' | 'public_id' | 'name' | 'role'>;

const TABLE = 'api_keys';
const LISTED = ['id', 'public_id', 'name', 'role', 'created_by', 'expires_at', 'revoked_at', 'revoked_by', 'created_at'] as const;

export class ApiKeyRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(key: NewApiKey, trx: Knex = this.db): Promise<ApiKeyListing> {
    const [created] = await trx<ApiKeyRecord>(TABLE).insert(key).returning([...LISTED]);
    return created as ApiKeyListing;
  }

  /** Newest first; revoked and expired keys included (the list is also their history). */
  list(): Promise<ApiKeyListing[]> {
    return this.db<ApiKeyRecord>(TABLE).select([...LISTED]).orderBy('created_at', 'desc').orderBy('id', 'desc') as Promise<ApiKeyListing[]>;
  }

  /** The key of this hash if it is neither revoked nor expired, by the database's clock. */
  async findLive(keyHash: string): Promise<LiveApiKey | undefined> {
    return this.db<ApiKeyRecord>(TABLE)
      .select('id', 'public_id', 'name', 'role')
      .where({ key_hash: keyHash })
      .whereNull('revoked_at')
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.db.fn.now()))
      .first();
  }

  /** The role of a key by id if it is still live: what an open monitoring socket re-checks. */
  async liveRoleById(id: string): Promise<Role | undefined> {
    const row = await this.db<ApiKeyRecord>(TABLE)
      .select('role')
      .where({ id })
      .whereNull('revoked_at')
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.db.fn.now()))
      .first();
    return row?.role;
  }

  /** Revokes a live key; undefined when there is no such key or it was revoked already. */
  async revoke(id: string, revokedBy: string, trx: Knex = this.db): Promise<ApiKeyListing | undefined> {
    const [revoked] = await trx<ApiKeyRecord>(TABLE)
      .where({ id })
      .whereNull('revoked_at')
      .update({ revoked_at: this.db.fn.now() as unknown as Date, revoked_by: revokedBy })
      .returning([...LISTED]);
    return revoked as ApiKeyListing | undefined;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.db(TABLE).where({ id }).first('id')) !== undefined;
  }
}

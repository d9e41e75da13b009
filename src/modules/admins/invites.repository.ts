import type { Knex } from 'knex';
import type { Role } from '../../shared/permissions';

/** Invitations to register as an admin, stored by the hash of their token; each is good once. */
export interface InviteRecord {
  id: string;
  token_hash: string;
  role: Role;
  email: string | null;
  created_by: string | null;
  expires_at: Date;
  used_at: Date | null;
  used_by: string | null;
  created_at: Date;
}

export type NewInvite = Pick<InviteRecord, 'token_hash' | 'role' | 'email' | 'created_by' | 'expires_at'>;

const TABLE = 'admin_invites';

export class InviteRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(invite: NewInvite, trx: Knex = this.db): Promise<InviteRecord> {
    const [created] = await trx<InviteRecord>(TABLE).insert(invite).returning('*');
    return created as InviteRecord;
  }

  /** Whether a token is worth the cost of hashing a password for; consume() still decides. */
  async isUsable(tokenHash: string): Promise<boolean> {
    const row = await this.db(TABLE).where({ token_hash: tokenHash }).whereNull('used_at').where('expires_at', '>', this.db.fn.now()).first('id');
    return Boolean(row);
  }

  /**
   * Spends the invite in one statement: of two concurrent registrations with one token, the
   * second waits on the row and then finds it used. Undefined when unknown, used or expired.
   */
  async consume(tokenHash: string, trx: Knex.Transaction): Promise<InviteRecord | undefined> {
    const [spent] = await trx<InviteRecord>(TABLE)
      .where({ token_hash: tokenHash })
      .whereNull('used_at')
      .where('expires_at', '>', trx.fn.now())
      .update({ used_at: trx.fn.now() })
      .returning('*');
    return spent;
  }

  async recordUser(id: string, adminId: string, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ id }).update({ used_by: adminId });
  }
}

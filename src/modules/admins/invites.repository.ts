import type { Knex } from 'knex';
import type { Role } from '../../shared/permissions';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';
import { MAX_INVITE_ATTEMPTS, type InviteStatus } from './invite-policy';

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
  revoked_at: Date | null;
  revoked_by: string | null;
  attempts: number;
  created_at: Date;
}

export type NewInvite = Pick<InviteRecord, 'token_hash' | 'role' | 'email' | 'created_by' | 'expires_at'>;

/** An invite as listed: what it grants and who issued it; never its token or hash. */
export interface InviteListing {
  id: string;
  role: Role;
  email: string | null;
  status: InviteStatus;
  created_by: string | null;
  issuer_login: string | null;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/** The state of an invite row; an invite whose attempts are used up counts as revoked. */
const STATUS_SQL = `CASE
  WHEN i.used_at IS NOT NULL THEN 'used'
  WHEN i.revoked_at IS NOT NULL OR i.attempts >= ${MAX_INVITE_ATTEMPTS} THEN 'revoked'
  WHEN i.expires_at <= now() THEN 'expired'
  ELSE 'pending' END`;

const TABLE = 'admin_invites';

/** Neither used nor revoked: what a revocation may still act on (expired ones included: harmless). */
const open = (query: Knex.QueryBuilder) => query.whereNull('used_at').whereNull('revoked_at');

export class InviteRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(invite: NewInvite, trx: Knex = this.db): Promise<InviteRecord> {
    const [created] = await trx<InviteRecord>(TABLE).insert(invite).returning('*');
    return created as InviteRecord;
  }

  /** A pending invite by its token hash: unused, unrevoked, unexpired, with attempts left. */
  async findPending(tokenHash: string): Promise<InviteRecord | undefined> {
    return this.db<InviteRecord>(TABLE)
      .where({ token_hash: tokenHash })
      .modify(open)
      .where('expires_at', '>', this.db.fn.now())
      .where('attempts', '<', MAX_INVITE_ATTEMPTS)
      .first();
  }

  /**
   * Takes one registration attempt of a pending invite, in one committed statement before the
   * attempt is checked: of many parallel attempts at most MAX_INVITE_ATTEMPTS get one.
   * Undefined when the invite is not pending (unknown, used, revoked, expired or used up).
   */
  async reserveAttempt(tokenHash: string): Promise<InviteRecord | undefined> {
    const [reserved] = await this.db<InviteRecord>(TABLE)
      .where({ token_hash: tokenHash })
      .modify(open)
      .where('expires_at', '>', this.db.fn.now())
      .where('attempts', '<', MAX_INVITE_ATTEMPTS)
      .increment('attempts', 1)
      .returning('*');
    return reserved;
  }

  /**
   * Spends the invite in one statement: of two concurrent registrations with one token, the
   * second waits on the row and then finds it used. Undefined when used, revoked or expired meanwhile.
   */
  async consume(id: string, trx: Knex.Transaction): Promise<InviteRecord | undefined> {
    const [spent] = await trx<InviteRecord>(TABLE)
      .where({ id })
      .modify(open)
      .where('expires_at', '>', trx.fn.now())
      .update({ used_at: trx.fn.now() })
      .returning('*');
    return spent;
  }

  async recordUser(id: string, adminId: string, trx: Knex.Transaction): Promise<void> {
    await trx(TABLE).where({ id }).update({ used_by: adminId });
  }

  /** The invite an admin names by its id (as listed) or by its raw token's hash. */
  async findByIdOrTokenHash(id: string | null, tokenHash: string): Promise<InviteRecord | undefined> {
    return this.db<InviteRecord>(TABLE)
      .where({ token_hash: tokenHash })
      .modify((query) => {
        if (id) query.orWhere({ id });
      })
      .first();
  }

  /** Revokes invites not used or revoked yet; returns those it revoked. */
  async revoke(filter: { id: string } | { createdBy: string; roles?: readonly Role[] }, revokedBy: string | null, trx: Knex = this.db): Promise<InviteRecord[]> {
    return trx<InviteRecord>(TABLE)
      .modify(open)
      .modify((query) => {
        if ('id' in filter) query.where({ id: filter.id });
        else {
          query.where({ created_by: filter.createdBy });
          if (filter.roles) query.whereIn('role', filter.roles);
        }
      })
      .update({ revoked_at: trx.fn.now(), revoked_by: revokedBy })
      .returning('*');
  }

  /** Newest first, with the issuer's login (null once the issuer is deleted). */
  async list(status: InviteStatus | 'all', page: PageRequest): Promise<Page<InviteListing>> {
    const base = this.db({ i: TABLE }).modify((query) => {
      if (status !== 'all') query.whereRaw(`${STATUS_SQL} = ?`, [status]);
    });
    const [items, counted] = await Promise.all([
      base
        .clone()
        .leftJoin({ a: 'admin_users' }, 'a.id', 'i.created_by')
        .select('i.id', 'i.role', 'i.email', 'i.created_by', 'i.created_at', 'i.expires_at', 'i.used_at', 'i.revoked_at', { issuer_login: 'a.login' })
        .select(this.db.raw(`${STATUS_SQL} AS status`))
        .orderBy([{ column: 'i.created_at', order: 'desc' }, { column: 'i.id', order: 'desc' }])
        .limit(page.page_size)
        .offset(offsetOf(page)),
      base.clone().count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items: items as InviteListing[], total: Number(counted[0]?.count ?? 0), ...page };
  }
}

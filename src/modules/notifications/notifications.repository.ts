import type { Knex } from 'knex';
import { offsetOf, type Page, type PageRequest } from '../../shared/pagination';

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed', 'cancelled'] as const;
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** A notification_queue row as stored (bigint columns come back as strings from pg). */
export interface NotificationRow {
  id: string;
  target_telegram_id: string | null;
  to_admins: boolean;
  message: string;
  status: NotificationStatus;
  attempts: number;
  error: string | null;
  send_at: Date | null;
  sent_at: Date | null;
  telegram_message_id: string | null;
  claim_id: string | null;
  claimed_at: Date | null;
  parent_id: string | null;
  created_by: string | null;
  dedupe_key: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewNotification {
  target_telegram_id?: number | null;
  to_admins?: boolean;
  message: string;
  send_at?: Date | null;
  created_by?: string | null;
  dedupe_key?: string | null;
  parent_id?: string | null;
}

/** A pending row the sweep looks at: is its job still in Redis? */
export interface PendingNotification {
  id: string;
  send_at: Date | null;
  created_at: Date;
}

export const NO_ADMIN_RECIPIENT = 'No active admin has a Telegram id';

const TABLE = 'notification_queue';

/**
 * The record of every notification. Every transition is one conditional UPDATE, so two workers
 * (or a worker and a cancelling admin) never both win: a row is claimed only while pending and
 * unclaimed, cancelled only while pending and unclaimed, and finished only by its claim's holder.
 */
export class NotificationRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(row: NewNotification, trx: Knex = this.db): Promise<NotificationRow> {
    const [inserted] = (await trx(TABLE).insert(row).returning('*')) as NotificationRow[];
    return inserted!;
  }

  /** Inserts unless a row with the same dedupe key exists: the id of the new row, or undefined. */
  async insertOnce(row: NewNotification & { dedupe_key: string }, trx: Knex = this.db): Promise<string | undefined> {
    const rows = (await trx(TABLE).insert(row).onConflict('dedupe_key').ignore().returning('id')) as Array<{ id: string }>;
    return rows[0]?.id;
  }

  findById(id: string, trx: Knex = this.db): Promise<NotificationRow | undefined> {
    return trx<NotificationRow>(TABLE).where({ id }).first();
  }

  async list(filters: { status?: NotificationStatus }, page: PageRequest): Promise<Page<NotificationRow>> {
    const query = this.db<NotificationRow>(TABLE).modify((q) => {
      if (filters.status) q.where('status', filters.status);
    });
    const [items, counted] = await Promise.all([
      query.clone().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.page_size).offset(offsetOf(page)),
      query.clone().count<{ count: number }[]>({ count: '*' }),
    ]);
    return { items: items as NotificationRow[], total: Number(counted[0]?.count ?? 0), ...page };
  }

  /** Only a pending row nobody is sending right now; the cancelled row, or undefined. */
  async cancel(id: string, trx: Knex = this.db): Promise<NotificationRow | undefined> {
    const [row] = (await trx(TABLE)
      .where({ id, status: 'pending' })
      .whereNull('claim_id')
      .update({ status: 'cancelled', error: null })
      .returning('*')) as NotificationRow[];
    return row;
  }

  /**
   * Taken right before Telegram is called, committed on its own: from then on a retry knows the
   * message may have gone out. Counts the attempt. Undefined when the row is no longer pending or
   * someone else holds a claim.
   */
  async claim(id: string, claimId: string): Promise<NotificationRow | undefined> {
    const [row] = (await this.db(TABLE)
      .where({ id, status: 'pending' })
      .whereNull('claim_id')
      .update({ claim_id: claimId, claimed_at: this.db.fn.now(), attempts: this.db.raw('attempts + 1') })
      .returning('*')) as NotificationRow[];
    return row;
  }

  /**
   * Telegram answered that it did not take the message: the claim is given back for a later
   * attempt. `uncount` takes the attempt back (a 429 is a wait, not a failure).
   */
  async release(id: string, claimId: string, error: string, uncount = false): Promise<void> {
    await this.db(TABLE)
      .where({ id, claim_id: claimId })
      .update({ claim_id: null, claimed_at: null, error, ...(uncount ? { attempts: this.db.raw('greatest(attempts - 1, 0)') } : {}) });
  }

  async markSent(id: string, claimId: string, telegramMessageId: number | null): Promise<void> {
    await this.db(TABLE)
      .where({ id, claim_id: claimId })
      .update({ status: 'sent', sent_at: this.db.fn.now(), telegram_message_id: telegramMessageId, error: null });
  }

  async markFailed(id: string, claimId: string, error: string): Promise<void> {
    await this.db(TABLE).where({ id, claim_id: claimId }).update({ status: 'failed', error });
  }

  /** A claim older than `staleBefore` belongs to a delivery that died mid-way: its outcome is unknown. */
  async failStaleClaim(id: string, staleBefore: Date, error: string): Promise<boolean> {
    const updated = await this.db(TABLE)
      .where({ id, status: 'pending' })
      .whereNotNull('claim_id')
      .where('claimed_at', '<', staleBefore)
      .update({ status: 'failed', error });
    return updated > 0;
  }

  /**
   * Resolves a message to the admins into one row per active admin with a Telegram id, in one
   * transaction with the parent's move to `sent` (conditional: a cancel or another worker that got
   * there first leaves nothing to do). The ids of the new rows; undefined if it lost the race. With
   * no admin to send to, the parent is `failed` instead.
   */
  async fanOutToAdmins(parent: NotificationRow): Promise<string[] | undefined> {
    return this.db.transaction(async (trx) => {
      const admins = (await trx('admin_users').select('id', 'telegram_id').where({ is_active: true }).whereNotNull('telegram_id').orderBy('id')) as Array<{
        id: string;
        telegram_id: string;
      }>;
      const outcome = admins.length === 0 ? { status: 'failed', error: NO_ADMIN_RECIPIENT } : { status: 'sent', sent_at: trx.fn.now(), error: null };
      const taken = await trx(TABLE).where({ id: parent.id, status: 'pending', to_admins: true }).whereNull('claim_id').update(outcome);
      if (taken === 0) return undefined;
      if (admins.length === 0) return [];
      const rows = (await trx(TABLE)
        .insert(
          admins.map((admin) => ({
            target_telegram_id: admin.telegram_id,
            message: parent.message,
            parent_id: parent.id,
            created_by: parent.created_by,
            dedupe_key: `admins:${parent.id}:${admin.id}`,
          })),
        )
        .returning('id')) as Array<{ id: string }>;
      return rows.map((row) => row.id);
    });
  }

  /** Pending rows created before `createdBefore`, oldest first, after `after` (keyset paging): the ones whose job may be lost. */
  pendingOlderThan(createdBefore: Date, limit: number, after?: PendingNotification): Promise<PendingNotification[]> {
    return this.db(TABLE)
      .select('id', 'send_at', 'created_at')
      .where({ status: 'pending' })
      .where('created_at', '<', createdBefore)
      .modify((q) => {
        if (after) q.whereRaw('(created_at, id) > (?, ?)', [after.created_at, after.id]);
      })
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .limit(limit) as Promise<PendingNotification[]>;
  }
}

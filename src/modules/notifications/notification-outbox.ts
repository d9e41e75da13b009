import type { Knex } from 'knex';
import type { NotificationDispatcher } from './notification-dispatcher';

/** Who a notification is for: one Telegram chat, or every active admin with one. */
export type NotificationTarget = { readonly telegramId: string | number } | { readonly toAdmins: true };

export interface OutgoingNotification {
  readonly target: NotificationTarget;
  /** From src/modules/notifications/templates.ts. */
  readonly message: string;
  /** One row per key, however often the cause is processed (retries, redeliveries). */
  readonly dedupeKey: string;
}

/**
 * The producer side of notifications: a notification_queue row (the record, deduplicated), then,
 * after it is committed, a job on the `notifications` queue that the notification worker delivers.
 */
export class NotificationOutbox {
  private readonly db: Knex;
  private readonly notificationDispatcher: NotificationDispatcher;

  constructor({ db, notificationDispatcher }: { db: Knex; notificationDispatcher: NotificationDispatcher }) {
    this.db = db;
    this.notificationDispatcher = notificationDispatcher;
  }

  /**
   * Records the notification (or finds the one recorded under its key) and queues its delivery
   * while it is still pending. Pass `trx` to commit the row with the change it reports; the job
   * is then added by `enqueue` once that transaction has committed.
   */
  async record(notification: OutgoingNotification, trx: Knex = this.db): Promise<{ id: string; pending: boolean }> {
    const target = 'toAdmins' in notification.target
      ? { target_telegram_id: null, to_admins: true }
      : { target_telegram_id: String(notification.target.telegramId), to_admins: false };
    const inserted = await trx('notification_queue')
      .insert({ ...target, message: notification.message, dedupe_key: notification.dedupeKey })
      .onConflict('dedupe_key')
      .ignore()
      .returning<{ id: string }[]>('id');
    if (inserted[0]) return { id: inserted[0].id, pending: true };
    const existing = (await trx('notification_queue').select('id', 'status').where({ dedupe_key: notification.dedupeKey }).first()) as { id: string; status: string };
    return { id: existing.id, pending: existing.status === 'pending' };
  }

  /** Adding the same notification's job twice is a no-op (its id is the row's). */
  async enqueue(notificationId: string): Promise<void> {
    await this.notificationDispatcher.dispatch(notificationId);
  }

  async send(notification: OutgoingNotification): Promise<string> {
    const { id, pending } = await this.record(notification);
    if (pending) await this.enqueue(id);
    return id;
  }
}

import type { Config } from '../../config';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelUser } from '../../integrations/remnawave/remnawave.replies';
import type { Clock } from '../../shared/clock';
import type { NotificationDispatcher } from './notification-dispatcher';
import type { NotificationRepository } from './notifications.repository';
import { expiryReminderKey, templates } from './templates';

const PAGE_SIZE = 250;

/** What a reminder needs of a panel user (the panel's full user, or a `user.expiration` event's). */
export type RemindedUser = Pick<PanelUser, 'id' | 'username' | 'status' | 'expireAt' | 'telegramId'> & { readonly description?: string | null };

export type Threshold = Config['notifications']['reminderThresholds'][number];

/**
 * The threshold a reminder is due for now: the tightest one the time left has reached. A user
 * first seen with 10 h left gets the 24h reminder, and the 72h one of that date never comes later.
 */
export const dueThreshold = (thresholds: readonly Threshold[], leftMs: number): Threshold | undefined =>
  leftMs <= 0 ? undefined : thresholds.find((threshold) => leftMs <= threshold.ms);

/**
 * A trial is a panel user whose description carries the word "trial" (how operators mark the
 * trials they hand out in the panel; there is no trial plan here): its end is announced as one.
 */
export const isTrial = (user: Pick<RemindedUser, 'description'>): boolean => /\btrial\b/i.test(user.description ?? '');

/**
 * Expiry reminders at REMINDER_THRESHOLDS: one per user, expiry date and threshold, never two. The
 * unique dedupe key `expiry-reminder:<user id>:<expireAt>:<threshold>` makes the insert the
 * decision, so the scan in any number of workers, the Remnawave `user.expiration` event and a
 * restart in between all agree; a renewal moves the expiry, so the old date gets nothing more and
 * the new one its own reminders.
 */
export class ExpiryReminderService {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly repository: NotificationRepository;
  private readonly dispatcher: NotificationDispatcher;
  private readonly clock: Clock;
  private readonly thresholds: readonly Threshold[];

  constructor(deps: { remnawaveClient: RemnawaveClient; notificationRepository: NotificationRepository; notificationDispatcher: NotificationDispatcher; clock: Clock; config: Config }) {
    this.remnawaveClient = deps.remnawaveClient;
    this.repository = deps.notificationRepository;
    this.dispatcher = deps.notificationDispatcher;
    this.clock = deps.clock;
    this.thresholds = deps.config.notifications.reminderThresholds;
  }

  /** The repeatable scan of the whole panel: reminders queued now (none for ones that exist). */
  async scan(): Promise<number> {
    let queued = 0;
    let cursor: string | undefined;
    do {
      const page = await this.remnawaveClient.streamUsers({}, cursor, PAGE_SIZE);
      for (const user of page.users) if (await this.remind(user)) queued += 1;
      cursor = page.hasMore && page.nextCursor ? page.nextCursor : undefined;
    } while (cursor !== undefined);
    return queued;
  }

  /**
   * Queues the reminder of one user's current expiry if a threshold is due and its reminder was
   * not queued before; true when this call queued it. The webhook worker's `user.expiration`
   * handler calls this too, with the event's user.
   */
  async remind(user: RemindedUser): Promise<boolean> {
    const expiresAt = new Date(user.expireAt);
    const threshold = dueThreshold(this.thresholds, expiresAt.getTime() - this.clock.now());
    if (user.telegramId === null || user.status !== 'ACTIVE' || !threshold) return false;
    const message = isTrial(user)
      ? templates.trialEnding({ username: user.username, expireAt: user.expireAt })
      : templates.subscriptionExpiring({ username: user.username, expireAt: user.expireAt });
    const id = await this.repository.insertOnce({ target_telegram_id: user.telegramId, message, dedupe_key: expiryReminderKey(user.id, expiresAt, threshold.label) });
    if (!id) return false;
    await this.dispatcher.dispatchOrLeave(id);
    return true;
  }
}

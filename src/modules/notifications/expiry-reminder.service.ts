import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelUser } from '../../integrations/remnawave/remnawave.replies';
import type { Clock } from '../../shared/clock';
import type { NotificationDispatcher } from './notification-dispatcher';
import type { NotificationRepository } from './notifications.repository';
import { expiryReminderKey, templates } from './templates';

/** Subscriptions ending within this window get their reminder. */
export const REMINDER_WINDOW_MS = 3 * 86_400_000;
const PAGE_SIZE = 250;

/**
 * Expiry reminders: one per user and expiry date, never two. The unique dedupe key
 * `expiry-reminder:<user id>:<expireAt>` makes the insert the decision, so the scan in any number
 * of workers, the Remnawave `user.expiration` event and a restart in between all agree; a renewal
 * moves the expiry, and the new date gets its own reminder in its own window.
 */
export class ExpiryReminderService {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly repository: NotificationRepository;
  private readonly dispatcher: NotificationDispatcher;
  private readonly clock: Clock;

  constructor(deps: { remnawaveClient: RemnawaveClient; notificationRepository: NotificationRepository; notificationDispatcher: NotificationDispatcher; clock: Clock }) {
    this.remnawaveClient = deps.remnawaveClient;
    this.repository = deps.notificationRepository;
    this.dispatcher = deps.notificationDispatcher;
    this.clock = deps.clock;
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
   * Queues the reminder of one user's current expiry if it is due and not queued before; true when
   * this call queued it. The webhook worker's `user.expiration` handler may call this too.
   */
  async remind(user: Pick<PanelUser, 'id' | 'username' | 'status' | 'expireAt' | 'telegramId'>): Promise<boolean> {
    const expiresAt = new Date(user.expireAt);
    const left = expiresAt.getTime() - this.clock.now();
    if (user.telegramId === null || user.status !== 'ACTIVE' || left <= 0 || left > REMINDER_WINDOW_MS) return false;
    const id = await this.repository.insertOnce({
      target_telegram_id: user.telegramId,
      message: templates.subscriptionExpiring({ username: user.username, expireAt: user.expireAt }),
      dedupe_key: expiryReminderKey(user.id, expiresAt),
    });
    if (!id) return false;
    await this.dispatcher.dispatchOrLeave(id);
    return true;
  }
}

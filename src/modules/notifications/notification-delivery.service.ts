import { randomUUID } from 'node:crypto';
import type { Logger } from '../../infrastructure/logger';
import type { TelegramClient } from '../../integrations/telegram/telegram.client';
import { TelegramRefusedError, TelegramRetryAfterError } from '../../integrations/telegram/telegram.errors';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import type { ChatPacer } from './chat-pacer';
import { backoffDelayMs, type DeliveryPolicy } from './delivery-policy';
import type { NotificationDispatcher } from './notification-dispatcher';
import type { NotificationRepository, NotificationRow } from './notifications.repository';

/** What a delivery job does next: it is finished, or it waits until `at` (never counted as a failed attempt). */
export type DeliveryOutcome =
  | { kind: 'done'; result: 'sent' | 'failed' | 'fanned_out' | 'skipped' }
  | { kind: 'later'; at: number; reason: 'scheduled' | 'chat_pacing' | 'retry_after' | 'backoff' | 'claimed_elsewhere' };

export const OUTCOME_UNKNOWN = 'Delivery interrupted after the claim; not sent again, it may have arrived';
export const TIMED_OUT = 'Telegram did not answer in time; not sent again, it may have arrived';

/**
 * Delivers one notification row, sending it at most once.
 *
 * A row is claimed (a conditional UPDATE, committed) right before Telegram is called and the
 * outcome recorded under that claim afterwards. A cancelled or already finished row is never
 * claimed, so a waiting job of a cancelled row sends nothing. Only an answer that proves Telegram
 * did not take the message (429, 5xx, a refused connection) gives the claim back for a retry;
 * a timeout, or a claim left by a delivery that died, means the outcome is unknown, and the row is
 * `failed` rather than risk a second copy (Telegram has no idempotency key).
 */
export class NotificationDeliveryService {
  private readonly repository: NotificationRepository;
  private readonly telegramClient: TelegramClient;
  private readonly chatPacer: ChatPacer;
  private readonly dispatcher: NotificationDispatcher;
  private readonly policy: DeliveryPolicy;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(deps: {
    notificationRepository: NotificationRepository;
    telegramClient: TelegramClient;
    chatPacer: ChatPacer;
    notificationDispatcher: NotificationDispatcher;
    deliveryPolicy: DeliveryPolicy;
    clock: Clock;
    logger: Logger;
  }) {
    this.repository = deps.notificationRepository;
    this.telegramClient = deps.telegramClient;
    this.chatPacer = deps.chatPacer;
    this.dispatcher = deps.notificationDispatcher;
    this.policy = deps.deliveryPolicy;
    this.clock = deps.clock;
    this.logger = deps.logger;
  }

  async deliver(notificationId: string): Promise<DeliveryOutcome> {
    const row = await this.repository.findById(notificationId);
    if (!row || row.status !== 'pending') return { kind: 'done', result: 'skipped' };
    const now = this.clock.now();
    // A job that came early (re-queued by the sweep without its delay, clocks apart) waits for its time.
    if (row.send_at && row.send_at.getTime() > now) return { kind: 'later', at: row.send_at.getTime(), reason: 'scheduled' };
    if (row.to_admins) return this.fanOut(row);
    if (row.claim_id) return this.claimedBefore(row, now);
    const wait = await this.chatPacer.take(row.target_telegram_id!, this.policy.chatIntervalMs);
    if (wait > 0) return { kind: 'later', at: now + wait, reason: 'chat_pacing' };
    const claimId = randomUUID();
    const claimed = await this.repository.claim(row.id, claimId);
    // Cancelled, or claimed by another worker, between the read and the claim.
    if (!claimed) return this.deliver(notificationId);
    return this.send(claimed, claimId);
  }

  private async send(row: NotificationRow, claimId: string): Promise<DeliveryOutcome> {
    const chatId = row.target_telegram_id!;
    try {
      const { messageId } = await this.telegramClient.sendMessage(Number(chatId), row.message);
      await this.repository.markSent(row.id, claimId, messageId);
      return { kind: 'done', result: 'sent' };
    } catch (error) {
      if (error instanceof TelegramRetryAfterError) {
        const waitMs = error.retryAfterSeconds * 1000;
        await this.chatPacer.holdFor(chatId, waitMs);
        await this.repository.release(row.id, claimId, `Telegram flood control: retry after ${error.retryAfterSeconds} s`, true);
        return { kind: 'later', at: this.clock.now() + waitMs, reason: 'retry_after' };
      }
      if (error instanceof TelegramRefusedError) {
        await this.repository.markFailed(row.id, claimId, `Telegram refused: ${error.description}`);
        return { kind: 'done', result: 'failed' };
      }
      if (error instanceof UpstreamTimeoutError) {
        await this.repository.markFailed(row.id, claimId, TIMED_OUT);
        return { kind: 'done', result: 'failed' };
      }
      if (error instanceof UpstreamUnavailableError) return this.transientFailure(row, claimId, error);
      throw error;
    }
  }

  private async transientFailure(row: NotificationRow, claimId: string, error: UpstreamUnavailableError): Promise<DeliveryOutcome> {
    const reason = error.message.slice(0, 300);
    if (row.attempts >= this.policy.maxAttempts) {
      await this.repository.markFailed(row.id, claimId, `Gave up after ${row.attempts} attempts: ${reason}`);
      return { kind: 'done', result: 'failed' };
    }
    await this.repository.release(row.id, claimId, reason);
    this.logger.info('notification delivery failed, retrying later', { notification_id: row.id, attempts: row.attempts, error: reason });
    return { kind: 'later', at: this.clock.now() + backoffDelayMs(this.policy, row.attempts), reason: 'backoff' };
  }

  /** Someone claimed it: still sending (wait for them), or died mid-way (the outcome is unknown). */
  private async claimedBefore(row: NotificationRow, now: number): Promise<DeliveryOutcome> {
    const staleAt = row.claimed_at!.getTime() + this.policy.staleClaimMs;
    if (staleAt > now) return { kind: 'later', at: staleAt, reason: 'claimed_elsewhere' };
    const failed = await this.repository.failStaleClaim(row.id, new Date(now - this.policy.staleClaimMs), OUTCOME_UNKNOWN);
    if (failed) this.logger.warn('notification claim found stale: marked failed, not sent again', { notification_id: row.id });
    return { kind: 'done', result: failed ? 'failed' : 'skipped' };
  }

  private async fanOut(row: NotificationRow): Promise<DeliveryOutcome> {
    const children = await this.repository.fanOutToAdmins(row);
    if (children === undefined) return { kind: 'done', result: 'skipped' };
    for (const child of children) await this.dispatcher.dispatchOrLeave(child);
    return { kind: 'done', result: children.length > 0 ? 'fanned_out' : 'failed' };
  }
}

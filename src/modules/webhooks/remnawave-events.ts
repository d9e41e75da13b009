import Joi from 'joi';
import type { Knex } from 'knex';
import type { Logger } from '../../infrastructure/logger';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import { NotFoundError } from '../../shared/errors';
import type { OutgoingWebhookEvents } from '../outgoing-webhooks/outgoing-webhook-events';
import type { LiveEvents } from '../live/live-events';
import type { NodeAlertWindow, NodeState } from '../notifications/node-alert-window';
import type { NotificationOutbox, OutgoingNotification } from '../notifications/notification-outbox';
import type { ExpiryReminderService } from '../notifications/expiry-reminder.service';
import { templates } from '../notifications/templates';
import type { WebhookLog } from './webhook-logs.repository';

/** What processing a webhook came to: done, or deliberately nothing (with the reason recorded). */
export type WebhookOutcome = { readonly ignored: false } | { readonly ignored: true; readonly reason: string };
export const DONE: WebhookOutcome = { ignored: false };
const UNEXPECTED_SHAPE: WebhookOutcome = { ignored: true, reason: 'Unexpected event shape' };

/** `data` is the panel's full user or node; only what the messages need is read. */
const userEvent = Joi.object({
  data: Joi.object({
    id: Joi.number().integer().positive(),
    username: Joi.string().max(200).required(),
    telegramId: Joi.alternatives(Joi.number().integer(), Joi.string().pattern(/^\d{1,20}$/)).allow(null),
    expireAt: Joi.string().isoDate().allow(null),
    description: Joi.string().allow('', null),
  }).unknown(true).required(),
  meta: Joi.object({ expiration: Joi.alternatives(Joi.string().max(40), Joi.number()) }).unknown(true).allow(null),
}).unknown(true);

const nodeEvent = Joi.object({
  data: Joi.object({ name: Joi.string().max(200).required() }).unknown(true).required(),
}).unknown(true);

interface UserEvent {
  data: { id?: number; username: string; telegramId?: number | string | null; expireAt?: string | null; description?: string | null };
  meta?: { expiration?: string | number } | null;
}

const NODE_STATES: Readonly<Record<string, NodeState>> = { 'node.connection_lost': 'down', 'node.connection_restored': 'up' };

/**
 * Remnawave's user and node events become notifications (to the user on Telegram; node events
 * coalesced into the admins' alert window) and live monitoring events (`users`, `servers`), the
 * latter also for a user without Telegram.
 */
export class RemnawaveEventHandler {
  private readonly notificationOutbox: NotificationOutbox;
  private readonly nodeAlertWindow: NodeAlertWindow;
  private readonly expiryReminderService: ExpiryReminderService;
  private readonly liveEvents: LiveEvents;
  private readonly logger: Logger;
  private readonly db: Knex;
  private readonly outgoingWebhookEvents: OutgoingWebhookEvents;
  private readonly remnawaveClient: RemnawaveClient;

  constructor(deps: {
    notificationOutbox: NotificationOutbox;
    nodeAlertWindow: NodeAlertWindow;
    expiryReminderService: ExpiryReminderService;
    liveEvents: LiveEvents;
    logger: Logger;
    db: Knex;
    outgoingWebhookEvents: OutgoingWebhookEvents;
    remnawaveClient: RemnawaveClient;
  }) {
    this.remnawaveClient = deps.remnawaveClient;
    this.db = deps.db;
    this.outgoingWebhookEvents = deps.outgoingWebhookEvents;
    this.notificationOutbox = deps.notificationOutbox;
    this.nodeAlertWindow = deps.nodeAlertWindow;
    this.expiryReminderService = deps.expiryReminderService;
    this.liveEvents = deps.liveEvents;
    this.logger = deps.logger;
  }

  async handle(log: WebhookLog): Promise<WebhookOutcome> {
    const notification = log.event_type === 'user.expiration' ? await this.remind(log) : this.notificationOf(log);
    if (notification === UNEXPECTED_SHAPE) return notification;
    // The operator's systems hear of every expiry, a user without Telegram included.
    if (log.event_type === 'user.expired') await this.emitExpired(log);
    if ('ignored' in notification) {
      await this.publishLive(log);
      return notification;
    }
    if ('toAdmins' in notification.target) await this.alertNode(log, notification);
    else await this.notificationOutbox.send(notification);
    await this.publishLive(log);
    return DONE;
  }

  /**
   * Into the shared window; without Redis, the event's own message instead (an alert is never
   * lost to the outage): its row is committed, and its job, if Redis refuses it too, is the sweep's.
   */
  private async alertNode(log: WebhookLog, direct: OutgoingNotification): Promise<void> {
    const nodeName = (log.payload as { data: { name: string } }).data.name;
    try {
      await this.nodeAlertWindow.record(nodeName, NODE_STATES[log.event_type ?? '']!);
      return;
    } catch (error) {
      this.logger.warn('node alert window unavailable; alerting directly', { node: nodeName, error });
    }
    const { id, pending } = await this.notificationOutbox.record(direct);
    if (pending) await this.notificationOutbox.enqueue(id).catch((error: unknown) => this.logger.warn('node alert job not added; the sweep will queue it', { notification_id: id, error }));
  }

  private async emitExpired(log: WebhookLog): Promise<void> {
    const { data } = log.payload as { data: { uuid?: string; username: string; expireAt?: string | null } };
    await this.outgoingWebhookEvents.emit(this.db, 'user.expired', { uuid: data.uuid ?? null, username: data.username, expire_at: data.expireAt ?? null });
  }

  /** Only after the notification was recorded: a retried job may publish again, never lose one. */
  private async publishLive(log: WebhookLog): Promise<void> {
    const data = ((log.payload as { data?: Record<string, unknown> } | null)?.data ?? {}) as Record<string, unknown>;
    const event = log.event_type ?? '';
    if (event.startsWith('node.')) await this.liveEvents.publish('servers', event, { uuid: data.uuid ?? null, name: data.name });
    else await this.liveEvents.publish('users', event, { uuid: data.uuid ?? null, username: data.username, expire_at: data.expireAt ?? null });
  }

  private notificationOf(log: WebhookLog): OutgoingNotification | WebhookOutcome {
    const dedupeKey = `remnawave:${log.dedupe_key ?? log.id}`;
    if (log.event_type === 'node.connection_lost' || log.event_type === 'node.connection_restored') {
      const { error, value } = nodeEvent.validate(log.payload);
      if (error) return UNEXPECTED_SHAPE;
      const nodeName = (value as { data: { name: string } }).data.name;
      const message = log.event_type === 'node.connection_lost' ? templates.nodeConnectionLost({ nodeName }) : templates.nodeConnectionRestored({ nodeName });
      return { target: { toAdmins: true }, message, dedupeKey };
    }
    const { error, value } = userEvent.validate(log.payload);
    if (error) return UNEXPECTED_SHAPE;
    const { data } = value as UserEvent;
    if (data.telegramId === null || data.telegramId === undefined) return { ignored: true, reason: 'The user has no Telegram id' };
    return { target: { telegramId: data.telegramId }, message: templates.subscriptionExpired({ username: data.username }), dedupeKey };
  }

  /**
   * Remnawave's own reminder (72h, 24h...) goes through the same thresholds, rule and key as the
   * panel scan: one reminder per user, expiry date and threshold, whoever comes first.
   *
   * The event only says that a reminder may be due: what it is due for is the user as the panel
   * has them now. An event processed late (a backlog, retries) may predate a renewal, and its
   * expiry would remind the user of a date that no longer holds; the panel's current user gives
   * the current date, status and Telegram id (a renewed user is then simply not due). A panel that
   * cannot answer fails the job, which is retried like any other.
   */
  private async remind(log: WebhookLog): Promise<WebhookOutcome> {
    const { error, value } = userEvent.validate(log.payload);
    const data = (value as UserEvent | undefined)?.data;
    if (error || data?.id === undefined || !data.expireAt) return UNEXPECTED_SHAPE;
    let current: Awaited<ReturnType<RemnawaveClient['getUser']>>;
    try {
      current = await this.remnawaveClient.getUser(data.id);
    } catch (failure) {
      if (failure instanceof NotFoundError) return { ignored: true, reason: 'The user no longer exists in the panel' };
      throw failure;
    }
    if (current.telegramId === null) return { ignored: true, reason: 'The user has no Telegram id' };
    await this.expiryReminderService.remind(current);
    // Queued now or before (a threshold's reminder exists already), or none due: the event is handled either way.
    return DONE;
  }
}

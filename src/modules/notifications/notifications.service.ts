import type { Principal } from '../../http/access-guard';
import type { Logger } from '../../infrastructure/logger';
import type { JobQueues } from '../../infrastructure/queues/job-queues';
import { TELEGRAM_MAX_TEXT_LENGTH } from '../../integrations/telegram/telegram.client';
import { NotFoundError, RequestValidationError, StateConflictError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import type { AuditService } from '../audit/audit.service';
import { notificationJobId, type NotificationDispatcher } from './notification-dispatcher';
import type { NotificationRepository, NotificationRow, NotificationStatus } from './notifications.repository';
import { templates } from './templates';

export interface NotificationRequest {
  telegram_id?: number;
  admins?: true;
  message: string;
  send_at?: Date;
}

export interface NotificationView {
  id: string;
  telegram_id: number | null;
  to_admins: boolean;
  message: string;
  status: NotificationStatus;
  attempts: number;
  error: string | null;
  send_at: Date | null;
  sent_at: Date | null;
  telegram_message_id: number | null;
  parent_id: string | null;
  created_by: string | null;
  created_at: Date;
}

const numberOrNull = (value: string | null) => (value === null ? null : Number(value));

export const toNotificationView = (row: NotificationRow): NotificationView => ({
  id: row.id,
  telegram_id: numberOrNull(row.target_telegram_id),
  to_admins: row.to_admins,
  message: row.message,
  status: row.status,
  attempts: row.attempts,
  error: row.error,
  send_at: row.send_at,
  sent_at: row.sent_at,
  telegram_message_id: numberOrNull(row.telegram_message_id),
  parent_id: row.parent_id,
  created_by: row.created_by,
  created_at: row.created_at,
});

/**
 * Notifications an admin (or a service with an API key) sends: to one Telegram user or to the
 * admins, now or at `send_at`. The text is plain: it is HTML-escaped (so nothing typed can break
 * Telegram's parser or add links), and refused when longer than Telegram's 4096 once escaped.
 */
export class NotificationService {
  private readonly deps: {
    notificationRepository: NotificationRepository;
    notificationDispatcher: NotificationDispatcher;
    jobQueues: JobQueues;
    auditService: AuditService;
    logger: Logger;
  };

  constructor(deps: NotificationService['deps']) {
    this.deps = deps;
  }

  async create(caller: Principal, request: NotificationRequest): Promise<NotificationView> {
    const message = templates.manual(request.message);
    if (message.length > TELEGRAM_MAX_TEXT_LENGTH) {
      throw new RequestValidationError([
        { loc: ['body', 'message'], msg: `message must be at most ${TELEGRAM_MAX_TEXT_LENGTH} characters once HTML-escaped`, type: 'string.max' },
      ]);
    }
    const { notificationRepository, notificationDispatcher, auditService } = this.deps;
    const sendAt = request.send_at && request.send_at.getTime() > Date.now() ? request.send_at : null;
    const view = await notificationRepository.transaction(async (trx) => {
      const row = await notificationRepository.insert(
        {
          target_telegram_id: request.telegram_id ?? null,
          to_admins: request.admins === true,
          message,
          send_at: sendAt,
          created_by: caller.kind === 'admin' ? caller.adminId : null,
        },
        trx,
      );
      const created = toNotificationView(row);
      await auditService.record({ action: 'notification.created', entityType: 'notification', entityId: row.id, newValue: { ...created } }, trx);
      return created;
    });
    await notificationDispatcher.dispatchOrLeave(view.id, view.send_at);
    return view;
  }

  async list(filters: { status?: NotificationStatus }, page: PageRequest): Promise<Page<NotificationView>> {
    const found = await this.deps.notificationRepository.list(filters, page);
    return { ...found, items: found.items.map(toNotificationView) };
  }

  /** A pending one only: 409 once it is sent, failed, cancelled or being sent right now. */
  async cancel(id: string): Promise<void> {
    const { notificationRepository, auditService, jobQueues, logger } = this.deps;
    await notificationRepository.transaction(async (trx) => {
      const cancelled = await notificationRepository.cancel(id, trx);
      if (!cancelled) {
        if (await notificationRepository.findById(id, trx)) throw new StateConflictError('notification_not_pending');
        throw new NotFoundError('Notification');
      }
      await auditService.record({ action: 'notification.cancelled', entityType: 'notification', entityId: id, oldValue: { status: 'pending' }, newValue: { status: 'cancelled' } }, trx);
    });
    // Only tidiness: a job left behind finds the row cancelled and sends nothing.
    try {
      await (await jobQueues.queue('notifications').getJob(notificationJobId(id)))?.remove();
    } catch (error) {
      logger.debug('cancelled notification job not removed', { notification_id: id, error });
    }
  }
}

import type { Page, PageRequest } from '../../shared/pagination';
import { NotFoundError, StateConflictError } from '../../shared/errors';
import type { AuditService } from '../audit/audit.service';
import type { WebhookJobs } from './webhook-jobs';
import type { WebhookLog, WebhookLogFilters, WebhookLogRepository } from './webhook-logs.repository';

type ListedWebhookLog = Omit<WebhookLog, 'signature'>;

/** What an operator does with the webhook record: read it, and send a failed delivery round again. */
export class WebhookLogService {
  private readonly webhookLogRepository: WebhookLogRepository;
  private readonly webhookJobs: WebhookJobs;
  private readonly auditService: AuditService;

  constructor(deps: { webhookLogRepository: WebhookLogRepository; webhookJobs: WebhookJobs; auditService: AuditService }) {
    this.webhookLogRepository = deps.webhookLogRepository;
    this.webhookJobs = deps.webhookJobs;
    this.auditService = deps.auditService;
  }

  list(filters: WebhookLogFilters, page: PageRequest): Promise<Page<ListedWebhookLog>> {
    return this.webhookLogRepository.list(filters, page);
  }

  /**
   * A failed row, or a valid one that never reached the queue, is queued again (409 for any
   * other: an invalid one is never processed, a processed one is done, a queued one is on its way).
   */
  async retry(id: string): Promise<ListedWebhookLog> {
    const log = await this.webhookLogRepository.findById(id);
    if (!log) throw new NotFoundError('Webhook log entry');
    if (!log.is_valid) throw new StateConflictError('webhook_invalid');
    if ((log.status !== 'failed' && log.status !== 'received') || log.dedupe_key === null) throw new StateConflictError('webhook_not_retryable');
    await this.webhookJobs.requeueUnlessPending(log);
    await this.webhookLogRepository.transition(log.id, ['failed', 'received'], 'queued', { error_message: null });
    await this.auditService.record({
      action: 'webhook.retried',
      entityType: 'webhook_log',
      entityId: log.id,
      oldValue: { status: log.status, attempts: log.attempts },
      newValue: { status: 'queued' },
    });
    // As queued: the worker may already be on it by the time anyone could read the row again.
    const { signature: _signature, ...listed } = log;
    return { ...listed, status: 'queued', error_message: null };
  }
}

import { toAppError } from '../../http/error-handler';
import { renderError } from '../../http/error-catalog';
import type { Logger } from '../../infrastructure/logger';
import type { Metrics } from '../../infrastructure/metrics';
import type { NotificationOutbox } from '../notifications/notification-outbox';
import { templates } from '../notifications/templates';
import type { PaidInvoice, PaymentSettlementService } from '../payments/payment-settlement.service';
import { DONE, type RemnawaveEventHandler, type WebhookOutcome } from './remnawave-events';
import type { WebhookLog, WebhookLogRepository } from './webhook-logs.repository';

/**
 * What the log row may say about a failure: the error table's safe detail (the same sentence a
 * client would see), never a stack, an SQL error or an upstream's reply.
 */
export function safeErrorMessage(error: unknown): string {
  const { detail } = renderError(toAppError(error)).body;
  return typeof detail === 'string' ? detail : 'Invalid data';
}

/**
 * The webhook worker's one job: take a logged delivery, apply its effect (each effect is
 * idempotent, so a retry or a second worker after a crash changes nothing more), record the outcome.
 */
export class WebhookProcessor {
  private readonly logger: Logger;
  private readonly webhookLogRepository: WebhookLogRepository;
  private readonly remnawaveEventHandler: RemnawaveEventHandler;
  private readonly paymentSettlementService: PaymentSettlementService;
  private readonly notificationOutbox: NotificationOutbox;
  private readonly metrics: Metrics;

  constructor(deps: {
    logger: Logger;
    webhookLogRepository: WebhookLogRepository;
    remnawaveEventHandler: RemnawaveEventHandler;
    paymentSettlementService: PaymentSettlementService;
    notificationOutbox: NotificationOutbox;
    metrics: Metrics;
  }) {
    this.logger = deps.logger;
    this.webhookLogRepository = deps.webhookLogRepository;
    this.remnawaveEventHandler = deps.remnawaveEventHandler;
    this.paymentSettlementService = deps.paymentSettlementService;
    this.notificationOutbox = deps.notificationOutbox;
    this.metrics = deps.metrics;
  }

  /** Throws to have the job retried; on the final attempt the row is left `failed` with a safe message. */
  async process(webhookLogId: string, { finalAttempt }: { finalAttempt: boolean }): Promise<void> {
    const log = await this.webhookLogRepository.startAttempt(webhookLogId);
    if (!log) {
      this.logger.info('webhook already settled, or not to be processed', { webhook_log_id: webhookLogId });
      return;
    }
    let outcome: WebhookOutcome;
    try {
      outcome = await this.apply(log);
    } catch (error) {
      await this.webhookLogRepository.transition(log.id, ['processing'], finalAttempt ? 'failed' : 'queued', { error_message: safeErrorMessage(error) });
      if (finalAttempt) await this.reportFailure(log, safeErrorMessage(error));
      throw error;
    }
    await this.webhookLogRepository.transition(log.id, ['processing'], outcome.ignored ? 'ignored' : 'processed', {
      processed_at: new Date(),
      error_message: outcome.ignored ? outcome.reason : null,
    });
    this.logger.info('webhook processed', { webhook_log_id: log.id, source: log.source, event_type: log.event_type, outcome: outcome.ignored ? 'ignored' : 'processed' });
  }

  private apply(log: WebhookLog): Promise<WebhookOutcome> {
    if (log.source === 'remnawave') return this.remnawaveEventHandler.handle(log);
    return this.settleInvoice(log);
  }

  private async settleInvoice(log: WebhookLog): Promise<WebhookOutcome> {
    const outcome = await this.paymentSettlementService.settlePaidInvoice(paidInvoiceOf(log));
    return outcome === 'unknown_invoice' ? { ignored: true, reason: 'Unknown invoice' } : DONE;
  }

  /**
   * A valid webhook failed for good: never silent. A paid invoice makes its payment `failed`
   * (settlement alerts the admins); a panel event alerts them here. Counted either way. A failure
   * to report is logged, never allowed to hide the failure being reported.
   */
  private async reportFailure(log: WebhookLog, reason: string): Promise<void> {
    this.metrics.webhooksFailed.inc({ source: log.source });
    try {
      if (log.source === 'cryptobot') {
        await this.paymentSettlementService.recordUnprovisioned(paidInvoiceOf(log), reason);
      } else {
        await this.notificationOutbox.send({
          target: { toAdmins: true },
          message: templates.webhookFailed({ source: log.source, eventType: log.event_type, reason }),
          dedupeKey: `webhook-failed:${log.id}:${log.attempts}`,
        });
      }
    } catch (error) {
      this.logger.error('a failed webhook could not be reported', { webhook_log_id: log.id, error });
    }
  }
}

/** Only invoice_paid rows are queued for Crypto Pay; the intake took its invoice id as the dedupe key. */
function paidInvoiceOf(log: WebhookLog): PaidInvoice {
  const invoice = ((log.payload as { payload?: Record<string, unknown> } | null)?.payload ?? {}) as { paid_at?: unknown; payload?: unknown };
  return {
    provider: 'cryptobot',
    invoiceId: log.dedupe_key!,
    paidAt: typeof invoice.paid_at === 'string' && !Number.isNaN(Date.parse(invoice.paid_at)) ? new Date(invoice.paid_at) : null,
    payload: typeof invoice.payload === 'string' ? invoice.payload : null,
  };
}

import { toAppError } from '../../http/error-handler';
import { renderError } from '../../http/error-catalog';
import type { Logger } from '../../infrastructure/logger';
import type { PaymentSettlementService } from '../payments/payment-settlement.service';
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

  constructor(deps: {
    logger: Logger;
    webhookLogRepository: WebhookLogRepository;
    remnawaveEventHandler: RemnawaveEventHandler;
    paymentSettlementService: PaymentSettlementService;
  }) {
    this.logger = deps.logger;
    this.webhookLogRepository = deps.webhookLogRepository;
    this.remnawaveEventHandler = deps.remnawaveEventHandler;
    this.paymentSettlementService = deps.paymentSettlementService;
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

  /** Only invoice_paid rows are queued for Crypto Pay; the intake took its invoice id as the dedupe key. */
  private async settleInvoice(log: WebhookLog): Promise<WebhookOutcome> {
    const invoice = ((log.payload as { payload?: Record<string, unknown> } | null)?.payload ?? {}) as { paid_at?: unknown };
    const paidAt = typeof invoice.paid_at === 'string' && !Number.isNaN(Date.parse(invoice.paid_at)) ? new Date(invoice.paid_at) : null;
    const outcome = await this.paymentSettlementService.settlePaidInvoice({
      provider: 'cryptobot',
      invoiceId: log.dedupe_key!,
      paidAt,
    });
    return outcome === 'unknown_invoice' ? { ignored: true, reason: 'Unknown invoice' } : DONE;
  }
}

import type { Config } from '../../config';
import { MAX_INVOICES_PER_CALL, type CryptoPayClient } from '../../integrations/cryptobot/cryptopay.client';
import type { Logger } from '../../infrastructure/logger';
import type { AuditService } from '../audit/audit.service';
import type { PaymentSettlementService } from './payment-settlement.service';
import type { PaymentRepository } from './payments.repository';

export interface ReconciliationReport {
  checked: number;
  settled: number;
  expired: number;
  /** Rows whose invoice id was never recorded, failed once no invoice of theirs can be live. */
  unrecorded: number;
  /** Paid invoices whose settlement failed this time; the next run tries them again. */
  errors: number;
}

/** Payments looked at per run: the oldest first, the rest on the next run. */
const BATCH = 5 * MAX_INVOICES_PER_CALL;

/**
 * For webhooks that never come: payments still pending a while after their invoice was made are
 * checked with Crypto Pay. Paid ones go through the same idempotent settlement as a webhook (a
 * webhook arriving as well finds the work done); expired ones are marked expired.
 */
export class PaymentReconciliationService {
  private readonly deps: {
    config: Config;
    logger: Logger;
    cryptoPayClient: CryptoPayClient;
    paymentRepository: PaymentRepository;
    paymentSettlementService: PaymentSettlementService;
    auditService: AuditService;
  };

  constructor(deps: PaymentReconciliationService['deps']) {
    this.deps = deps;
  }

  async run(now = Date.now()): Promise<ReconciliationReport> {
    const { config, logger, cryptoPayClient, paymentRepository, paymentSettlementService, auditService } = this.deps;
    const report: ReconciliationReport = { checked: 0, settled: 0, expired: 0, unrecorded: 0, errors: 0 };
    const due = await paymentRepository.pendingWithInvoice(new Date(now - config.reconciliation.afterMs), BATCH);
    for (let start = 0; start < due.length; start += MAX_INVOICES_PER_CALL) {
      const chunk = due.slice(start, start + MAX_INVOICES_PER_CALL);
      const invoices = new Map((await cryptoPayClient.getInvoices({ invoiceIds: chunk.map((p) => p.external_invoice_id!) })).map((i) => [i.invoiceId, i]));
      for (const payment of chunk) {
        const invoice = invoices.get(payment.external_invoice_id!);
        report.checked += 1;
        if (invoice?.status === 'paid') {
          try {
            const outcome = await paymentSettlementService.settlePaidInvoice({ provider: 'cryptobot', invoiceId: invoice.invoiceId, paidAt: invoice.paidAt, payload: invoice.payload });
            if (outcome === 'completed') report.settled += 1;
          } catch (error) {
            report.errors += 1;
            logger.warn('reconciliation could not settle a paid invoice; the next run retries', { payment_id: payment.id, error });
          }
        } else if (invoice?.status === 'expired' && (await paymentRepository.markExpired(payment.id))) {
          report.expired += 1;
          await auditService.record({ action: 'payment.expired', adminId: null, entityType: 'payment', entityId: payment.id, oldValue: { status: 'pending' }, newValue: { status: 'expired' } });
        }
      }
    }
    const lifetimeMs = config.cryptobot.invoiceTtlSeconds * 1000 + config.reconciliation.afterMs;
    for (const id of await paymentRepository.failUnrecorded(new Date(now - lifetimeMs))) {
      report.unrecorded += 1;
      await auditService.record({ action: 'payment.failed', adminId: null, entityType: 'payment', entityId: id, newValue: { status: 'failed', error: 'invoice_not_recorded' } });
    }
    if (report.checked + report.unrecorded > 0) logger.info('payments reconciled', { ...report });
    return report;
  }
}

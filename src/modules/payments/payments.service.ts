import type { Config } from '../../config';
import type { Logger } from '../../infrastructure/logger';
import type { CryptoPayClient } from '../../integrations/cryptobot/cryptopay.client';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import { AppError, NotFoundError, PaymentRejectedError, StateConflictError } from '../../shared/errors';
import type { PaymentSettlementService } from './payment-settlement.service';
import type { Page, PageRequest } from '../../shared/pagination';
import type { RequestContext } from '../../shared/request-context';
import type { AuditService } from '../audit/audit.service';
import type { PlanRepository } from '../plans/plans.repository';
import type { VpnUserService } from '../vpn-users/vpn-users.service';
import type { IdempotencyRepository, StoredAnswer } from './idempotency.repository';
import { runIdempotently, type Answer } from './idempotent-request';
import { decimalText, invoicePricing } from './invoice-pricing';
import type { Payment, PaymentFilters, PaymentRepository } from './payments.repository';
import { paymentPayload } from './payment-payload';

/**
 * Invoices and payment records. An invoice is made in three steps so that no invoice can exist
 * without its row: the `pending` row first, then the Crypto Pay invoice carrying the row's id in
 * its payload (`payment:<uuid>`, what the webhook worker and the reconciliation read back), then the
 * invoice's id and link on the row. A failed invoice call leaves the row `failed`.
 */

export interface InvoiceRequest {
  plan_id: string;
  asset: string;
}

export interface InvoiceAnswer {
  payment_id: string;
  invoice_id: string;
  payment_url: string;
  amount: string;
  currency: string;
  asset: string;
  status: 'pending';
  expires_at: string;
}

export interface PaymentView {
  id: string;
  user_id: number;
  plan_id: string;
  provider: string;
  invoice_id: string | null;
  amount: string;
  currency: string;
  asset: string;
  status: Payment['status'];
  subscription_days: number;
  payment_url: string | null;
  expires_at: Date | null;
  paid_at: Date | null;
  subscription_applied_at: Date | null;
  /** Why a failed payment failed: our code (`provisioning_failed`: paid, not applied; retry it). */
  failure_reason: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const toView = (payment: Payment): PaymentView => ({
  id: payment.id,
  user_id: Number(payment.user_id),
  plan_id: payment.plan_id,
  provider: payment.provider,
  invoice_id: payment.external_invoice_id,
  amount: decimalText(payment.amount),
  currency: typeof payment.metadata.currency === 'string' ? payment.metadata.currency : payment.asset,
  asset: payment.asset,
  status: payment.status,
  subscription_days: payment.subscription_days,
  payment_url: payment.payment_url,
  expires_at: payment.expires_at,
  paid_at: payment.paid_at,
  subscription_applied_at: payment.subscription_applied_at,
  failure_reason: payment.status === 'failed' && typeof payment.metadata.error === 'string' ? payment.metadata.error : null,
  created_by: payment.created_by,
  created_at: payment.created_at,
  updated_at: payment.updated_at,
});

/** What a failed attempt leaves in the row's metadata: our error code, never the provider's words. */
const failureCode = (error: unknown): string => {
  if (error instanceof PaymentRejectedError) return `${error.code}:${error.reason}`;
  return error instanceof AppError ? error.code : 'internal';
};

export class PaymentService {
  private readonly deps: {
    config: Config;
    logger: Logger;
    requestContext: RequestContext;
    paymentRepository: PaymentRepository;
    idempotencyRepository: IdempotencyRepository;
    planRepository: PlanRepository;
    remnawaveClient: RemnawaveClient;
    vpnUserService: VpnUserService;
    cryptoPayClient: CryptoPayClient;
    auditService: AuditService;
    paymentSettlementService: PaymentSettlementService;
  };

  constructor(deps: PaymentService['deps']) {
    this.deps = deps;
  }

  /** `POST /payments/crypto/invoice`: for a VPN user by panel id (404 "User not found"). */
  createInvoice(input: InvoiceRequest & { user_id: number }, idempotencyKey?: string): Promise<StoredAnswer> {
    return this.idempotently(idempotencyKey, `invoice|user:${input.user_id}|plan:${input.plan_id}|asset:${input.asset}`, async () => {
      try {
        await this.deps.remnawaveClient.getUser(input.user_id);
      } catch (error) {
        if (error instanceof NotFoundError) throw new NotFoundError('User');
        throw error;
      }
      return this.invoiceFor(String(input.user_id), input);
    });
  }

  /** The Telegram bot's invoice: the VPN user behind a Telegram account, then the same path. */
  createInvoiceForTelegramUser(telegramId: number, input: InvoiceRequest, idempotencyKey?: string): Promise<StoredAnswer> {
    return this.idempotently(idempotencyKey, `telegram-invoice|telegram:${telegramId}|plan:${input.plan_id}|asset:${input.asset}`, async () => {
      const user = await this.deps.vpnUserService.findByTelegramId(telegramId);
      return this.invoiceFor(String(user.id), input);
    });
  }

  async get(id: string): Promise<PaymentView> {
    const payment = await this.deps.paymentRepository.findById(id);
    if (!payment) throw new NotFoundError('Payment');
    return toView(payment);
  }

  /**
   * `POST /payments/{id}/retry`: a payment received but not provisioned is settled again once its
   * cause is fixed (the same idempotent settlement: a stored expiry is set, never added twice).
   * Only those: a payment that was never paid has nothing to apply.
   */
  async retry(id: string): Promise<PaymentView> {
    const payment = await this.deps.paymentRepository.findById(id);
    if (!payment) throw new NotFoundError('Payment');
    if (payment.status !== 'failed' || payment.paid_at === null) throw new StateConflictError('payment_not_retryable');
    await this.deps.auditService.record({ action: 'payment.retried', entityType: 'payment', entityId: id, oldValue: { status: payment.status } });
    await this.deps.paymentSettlementService.settle(id, payment.paid_at);
    return this.get(id);
  }

  async list(filters: PaymentFilters, page: PageRequest): Promise<Page<PaymentView>> {
    const found = await this.deps.paymentRepository.list(filters, page);
    return { ...found, items: found.items.map(toView) };
  }

  private idempotently(key: string | undefined, request: string, work: () => Promise<Answer>): Promise<StoredAnswer> {
    if (key === undefined) return work();
    const { requestContext, idempotencyRepository, config } = this.deps;
    const caller = requestContext.apiKeyId ? `api_key:${requestContext.apiKeyId}` : `admin:${requestContext.adminId ?? 'unknown'}`;
    // Long enough for the first request's panel lookup and invoice call, each bounded by OUTBOUND_TIMEOUT.
    const waitMs = 2 * config.outboundTimeoutMs + 5_000;
    return runIdempotently(idempotencyRepository, { caller, key, request, waitMs }, work);
  }

  private async invoiceFor(userId: string, input: InvoiceRequest): Promise<Answer> {
    const { planRepository, paymentRepository, cryptoPayClient, auditService, requestContext, config } = this.deps;
    const plan = await planRepository.findById(input.plan_id);
    if (!plan?.is_active) throw new NotFoundError('Plan');
    const pricing = invoicePricing(plan, input.asset);
    const payment = await paymentRepository.createPending({
      user_id: userId,
      plan_id: plan.id,
      amount: plan.price,
      asset: input.asset,
      subscription_days: plan.duration_days,
      created_by: requestContext.adminId ?? null,
      metadata: { currency_type: pricing.currencyType, currency: plan.currency },
    });
    let invoice;
    try {
      invoice = await cryptoPayClient.createInvoice({
        ...pricing,
        amount: plan.price,
        description: `${plan.name}: ${plan.duration_days} days`.slice(0, 1024),
        payload: paymentPayload(payment.id),
        expiresInSeconds: config.cryptobot.invoiceTtlSeconds,
      });
    } catch (error) {
      await this.recordFailure(payment.id, failureCode(error));
      throw error;
    }
    const expiresAt = invoice.expiresAt ?? new Date(Date.now() + config.cryptobot.invoiceTtlSeconds * 1000);
    const recorded = await paymentRepository.recordInvoice(payment.id, { external_invoice_id: invoice.invoiceId, payment_url: invoice.botInvoiceUrl, expires_at: expiresAt });
    await auditService.record({ action: 'payment.invoice_created', entityType: 'payment', entityId: payment.id, newValue: toView(recorded) });
    const body: InvoiceAnswer = {
      payment_id: payment.id,
      invoice_id: invoice.invoiceId,
      payment_url: invoice.botInvoiceUrl,
      amount: decimalText(plan.price),
      currency: plan.currency,
      asset: input.asset,
      status: 'pending',
      expires_at: expiresAt.toISOString(),
    };
    return { status: 201, body, paymentId: payment.id };
  }

  /** Best effort: the caller gets the invoice call's error either way, the log keeps this one. */
  private async recordFailure(paymentId: string, code: string): Promise<void> {
    try {
      await this.deps.paymentRepository.markFailed(paymentId, code);
      await this.deps.auditService.record({ action: 'payment.invoice_failed', entityType: 'payment', entityId: paymentId, newValue: { error: code } });
    } catch (error) {
      this.deps.logger.error('Could not mark a payment failed after its invoice call failed', { payment_id: paymentId, error });
    }
  }
}

import type { Knex } from 'knex';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { Metrics } from '../../infrastructure/metrics';
import type { Logger } from '../../infrastructure/logger';
import type { Clock } from '../../shared/clock';
import type { AuditService } from '../audit/audit.service';
import type { OutgoingWebhookEvents } from '../outgoing-webhooks/outgoing-webhook-events';
import type { NotificationOutbox } from '../notifications/notification-outbox';
import { templates } from '../notifications/templates';
import { paymentIdOf } from './payment-payload';
import type { PaymentSettlementRepository, PaymentToSettle } from './payment-settlement.repository';

export interface PaidInvoice {
  provider: 'cryptobot';
  invoiceId: string;
  paidAt: Date | null;
  /** The invoice's payload as Crypto Pay gives it back (`payment:<uuid>` for ours). */
  payload?: string | null;
}

export type SettlementOutcome = 'completed' | 'already_completed' | 'unknown_invoice';

const DAY_MS = 86_400_000;
const LOCK = "select pg_advisory_lock(hashtext('payment-settlement'), hashtext(?))";
const UNLOCK = "select pg_advisory_unlock(hashtext('payment-settlement'), hashtext(?))";

/** What a settlement queues once it has committed: notifications and outgoing webhook deliveries. */
interface Effects {
  notifications: string[];
  deliveries: string[];
}
/** What subscribers of payment.* events are told about a payment. */
const eventData = (payment: PaymentToSettle) => ({
  payment_id: payment.id,
  user_id: payment.user_id,
  plan_id: payment.plan_id,
  amount: payment.amount,
  asset: payment.asset,
  subscription_days: payment.subscription_days,
});
const collect = (into: Effects, more: Effects) => {
  into.notifications.push(...more.notifications);
  into.deliveries.push(...more.deliveries);
};

/** One committed step on the connection that holds the user's lock. */
type OnLock = <T>(step: (trx: Knex.Transaction) => Promise<T>) => Promise<T>;

/**
 * Applies a paid invoice: the subscription is extended exactly once, whatever fails around it.
 *
 * The panel cannot join our transaction, so its side is made idempotent: the new absolute expiry is
 * computed once from max(now, current expiry), committed on the payment, and only then SET in the
 * panel; a retry finds the stored value and sets the same one, never adds twice. The payment goes
 * to `completed` with its notification in one transaction afterwards.
 *
 * Payments of one VPN user are settled one at a time under an advisory lock on the user id, held
 * from before the expiry is read until the completion commits, so two payments
 * at once both count. A payment whose expiry was stored by a worker that then died is finished
 * first by whoever holds the lock next: computing a new expiry over it would lose its days.
 */
export class PaymentSettlementService {
  private readonly db: Knex;
  private readonly remnawaveClient: RemnawaveClient;
  private readonly notificationOutbox: NotificationOutbox;
  private readonly outgoingWebhookEvents: OutgoingWebhookEvents;
  private readonly auditService: AuditService;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly repository: PaymentSettlementRepository;

  constructor(deps: {
    db: Knex;
    remnawaveClient: RemnawaveClient;
    notificationOutbox: NotificationOutbox;
    outgoingWebhookEvents: OutgoingWebhookEvents;
    auditService: AuditService;
    metrics: Metrics;
    logger: Logger;
    clock: Clock;
    paymentSettlementRepository: PaymentSettlementRepository;
  }) {
    this.db = deps.db;
    this.remnawaveClient = deps.remnawaveClient;
    this.notificationOutbox = deps.notificationOutbox;
    this.outgoingWebhookEvents = deps.outgoingWebhookEvents;
    this.auditService = deps.auditService;
    this.metrics = deps.metrics;
    this.logger = deps.logger;
    this.clock = deps.clock;
    this.repository = deps.paymentSettlementRepository;
  }

  /** The webhook's path: Crypto Pay's update_id is not unique, the invoice is what identifies a payment. */
  async settlePaidInvoice(invoice: PaidInvoice): Promise<SettlementOutcome> {
    const payment = await this.paymentOf(invoice);
    if (!payment) return 'unknown_invoice';
    return this.settle(payment.id, invoice.paidAt);
  }

  /**
   * Paid, but the effect failed for good (the panel refused, or kept failing past the last retry):
   * never silent. The payment becomes `failed` with the safe reason (paid_at kept, so
   * `POST /payments/{id}/retry` may settle it once the cause is fixed), audited, counted in
   * `payments_unprovisioned_total`, announced to the admins and to `payment.failed` subscribers.
   */
  async recordUnprovisioned(invoice: PaidInvoice, reason: string): Promise<void> {
    const payment = await this.paymentOf(invoice);
    if (!payment) return;
    const effects = await this.db.transaction(async (trx): Promise<Effects | undefined> => {
      const failedAt = new Date(this.clock.now());
      if (!(await this.repository.markUnprovisioned(trx, payment.id, reason, invoice.paidAt ?? failedAt))) return undefined;
      await this.auditService.record(
        { action: 'payment.failed', adminId: null, entityType: 'payment', entityId: payment.id, oldValue: { status: payment.status }, newValue: { status: 'failed', reason } },
        trx,
      );
      const alert = await this.notificationOutbox.record(
        {
          target: { toAdmins: true },
          message: templates.paymentNotProvisioned({ paymentId: payment.id, userId: payment.user_id, reason }),
          dedupeKey: `payment-failed:${payment.id}:${failedAt.getTime()}`,
        },
        trx,
      );
      const deliveries = await this.outgoingWebhookEvents.record(trx, 'payment.failed', { ...eventData(payment), reason });
      return { notifications: alert.pending ? [alert.id] : [], deliveries };
    });
    if (!effects) return;
    this.metrics.paymentsUnprovisioned.inc();
    this.logger.error('payment received but not provisioned', { payment_id: payment.id, reason });
    await this.dispatch(effects);
  }

  private async paymentOf(invoice: PaidInvoice): Promise<PaymentToSettle | undefined> {
    return (
      (await this.repository.findByInvoice(this.db, invoice.provider, invoice.invoiceId)) ??
      // Our row, whose invoice id was never recorded: the payload names it; claim the id for it now.
      (await this.repository.claimInvoice(this.db, paymentIdOf(invoice.payload), invoice.provider, invoice.invoiceId))
    );
  }

  /** Settles one known payment; reconciliation and an operator's retry come this way too. */
  async settle(paymentId: string, paidAt: Date | null): Promise<'completed' | 'already_completed'> {
    const found = await this.repository.findById(this.db, paymentId);
    if (found?.status === 'completed') return 'already_completed';
    const queued: Effects = { notifications: [], deliveries: [] };
    const outcome = await this.underUserLock(found!.user_id, async (onLock) => {
      // Read again under the lock: whoever held it may just have completed this very payment.
      const payment = (await onLock((trx) => this.repository.findById(trx, paymentId)))!;
      if (payment.status === 'completed') return 'already_completed' as const;
      for (const interrupted of await onLock((trx) => this.repository.halfApplied(trx, payment.user_id, payment.id))) {
        collect(queued, await this.applyAndComplete(onLock, interrupted, null));
      }
      collect(queued, await this.applyAndComplete(onLock, payment, paidAt));
      return 'completed' as const;
    });
    await this.dispatch(queued);
    return outcome;
  }

  /**
   * Runs `work` holding a session-level advisory lock on one pinned connection, where each step
   * commits on its own (`onLock`). Everything happens on that one connection: a holder that needed
   * a second one from the pool could wait behind the very callers queued on its lock.
   */
  private async underUserLock<T>(userId: string, work: (onLock: OnLock) => Promise<T>): Promise<T> {
    const connection = (await this.db.client.acquireConnection()) as { end(): Promise<void> };
    const onLock: OnLock = (step) => this.db.transaction(step, { connection });
    try {
      await onLock((trx) => trx.raw(LOCK, [userId]));
      try {
        return await work(onLock);
      } finally {
        // A connection that could not give the lock back must never return to the pool holding it.
        await onLock((trx) => trx.raw(UNLOCK, [userId])).catch(() => connection.end());
      }
    } finally {
      await this.db.client.releaseConnection(connection);
    }
  }

  private async applyAndComplete(onLock: OnLock, payment: PaymentToSettle, paidAt: Date | null): Promise<Effects> {
    const user = await this.remnawaveClient.getUser(Number(payment.user_id));
    const currentExpiry = Date.parse(user.expireAt);
    let target = payment.new_expire_at;
    if (!target) {
      target = new Date(Math.max(this.clock.now(), currentExpiry) + payment.subscription_days * DAY_MS);
      const stored = target;
      // Committed before the panel hears of it.
      await onLock((trx) => this.repository.storeTarget(trx, payment.id, stored, paidAt));
    }
    // Already there (a retry after the panel call) or moved beyond by an operator: never shorten it.
    if (currentExpiry < target.getTime()) {
      await this.remnawaveClient.updateUser(user.id, {
        expireAt: target.toISOString(),
        // An expired user is active again once paid; a user an operator disabled stays disabled.
        ...(user.status === 'EXPIRED' ? { status: 'ACTIVE' as const } : {}),
      });
    }
    const expiresAt = target;
    const appliedAt = new Date(this.clock.now());
    return onLock(async (trx) => {
      await this.repository.markCompleted(trx, payment.id, appliedAt);
      await this.auditService.record(
        {
          action: 'payment.completed',
          adminId: null,
          entityType: 'payment',
          entityId: payment.id,
          oldValue: { status: payment.status, expire_at: user.expireAt },
          newValue: { status: 'completed', expire_at: expiresAt.toISOString(), subscription_applied_at: appliedAt.toISOString() },
        },
        trx,
      );
      const deliveries = await this.outgoingWebhookEvents.record(trx, 'payment.completed', { ...eventData(payment), expire_at: expiresAt.toISOString() });
      if (user.telegramId === null) return { notifications: [], deliveries };
      const message = templates.paymentCompleted({
        planName: await this.repository.planName(trx, payment.plan_id),
        days: payment.subscription_days,
        expiresAt,
      });
      const notification = await this.notificationOutbox.record({ target: { telegramId: user.telegramId }, message, dedupeKey: `payment-completed:${payment.id}` }, trx);
      return { notifications: notification.pending ? [notification.id] : [], deliveries };
    });
  }

  /** After the commit; if Redis is away the pending rows stay, and the sweeps queue them. */
  private async dispatch(effects: Effects): Promise<void> {
    for (const notificationId of effects.notifications) {
      try {
        await this.notificationOutbox.enqueue(notificationId);
      } catch (error) {
        this.logger.warn('notification job not added; its pending row remains', { notification_id: notificationId, error });
      }
    }
    await this.outgoingWebhookEvents.dispatch(effects.deliveries);
  }
}

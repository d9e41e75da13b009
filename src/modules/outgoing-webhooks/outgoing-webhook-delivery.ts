import type { Config } from '../../config';
import type { Logger } from '../../infrastructure/logger';
import { decryptSecret } from '../../shared/secrets';
import type { AuditService } from '../audit/audit.service';
import type { OutgoingWebhookRepository } from './outgoing-webhooks.repository';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signDelivery } from './signature';
import { ForbiddenTargetError, type WebhookSender } from './webhook-sender';

export type DeliveryOutcome = 'delivered' | 'failed' | 'cancelled' | 'already_done';

/** Thrown to have the queue try again later (with backoff); the attempt is already recorded. */
export class DeliveryRetryError extends Error {
  override readonly name = 'DeliveryRetryError';
}

/** What the receiver is told went wrong is never what it answered: only the status, or the kind of failure. */
function safeError(error: unknown): string {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if ((error as Error).name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'Receiver timed out';
  if (code === 'ECONNREFUSED') return 'Connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'Receiver name not resolved';
  return 'Connection failed';
}

/**
 * One attempt at one delivery: signs the stored body with the endpoint's secret and a fresh
 * timestamp, POSTs it, records the attempt. A 2xx delivers; anything else is retried by the queue
 * until the last attempt, which fails the delivery and counts against the endpoint (disabled,
 * audited, once failures in a row reach the limit). A forbidden receiver address fails at once.
 */
export class OutgoingWebhookDelivery {
  private readonly repository: OutgoingWebhookRepository;
  private readonly sender: WebhookSender;
  private readonly auditService: AuditService;
  private readonly config: Config;
  private readonly logger: Logger;

  constructor(deps: { outgoingWebhookRepository: OutgoingWebhookRepository; webhookSender: WebhookSender; auditService: AuditService; config: Config; logger: Logger }) {
    this.repository = deps.outgoingWebhookRepository;
    this.sender = deps.webhookSender;
    this.auditService = deps.auditService;
    this.config = deps.config;
    this.logger = deps.logger;
  }

  async deliver(deliveryId: string, attempt: { final: boolean }): Promise<DeliveryOutcome> {
    const delivery = await this.repository.delivery(deliveryId);
    if (!delivery || delivery.status !== 'pending') return 'already_done';
    const endpoint = await this.repository.find(delivery.endpoint_id);
    const sealedSecret = endpoint?.is_active ? await this.repository.findSecret(endpoint.id) : undefined;
    if (!endpoint || !sealedSecret) {
      await this.repository.markStatus(delivery.id, 'cancelled');
      return 'cancelled';
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'CyberVPN-Webhooks/1',
      'x-cybervpn-event': delivery.event,
      'x-cybervpn-delivery': delivery.id,
      [TIMESTAMP_HEADER.toLowerCase()]: String(timestamp),
      [SIGNATURE_HEADER.toLowerCase()]: signDelivery(decryptSecret(sealedSecret, this.config.dataEncryptionKeys), timestamp, delivery.body),
    };
    let statusCode: number | null = null;
    let error: string;
    let permanent = false;
    try {
      statusCode = await this.sender.send({ url: endpoint.url, headers, body: delivery.body });
      if (statusCode >= 200 && statusCode < 300) {
        await this.repository.recordAttempt(delivery.id, { status: 'delivered', statusCode, error: null });
        await this.repository.resetFailures(endpoint.id);
        return 'delivered';
      }
      error = `Receiver answered ${statusCode}`;
    } catch (failure) {
      permanent = failure instanceof ForbiddenTargetError;
      error = permanent ? 'Receiver address not allowed' : safeError(failure);
    }
    if (!attempt.final && !permanent) {
      await this.repository.recordAttempt(delivery.id, { statusCode, error });
      throw new DeliveryRetryError(error);
    }
    await this.repository.recordAttempt(delivery.id, { status: 'failed', statusCode, error });
    const reason = `${this.config.outgoingWebhooks.maxConsecutiveFailures} deliveries in a row failed; last: ${error}`;
    if (await this.repository.countFailure(endpoint.id, this.config.outgoingWebhooks.maxConsecutiveFailures, reason)) {
      this.logger.warn('outgoing webhook endpoint disabled after repeated failures', { endpoint_id: endpoint.id });
      await this.auditService.record({ action: 'outgoing_webhook.disabled', adminId: null, entityType: 'outgoing_webhook', entityId: endpoint.id, newValue: { is_active: false, disabled_reason: reason } });
    }
    return 'failed';
  }
}

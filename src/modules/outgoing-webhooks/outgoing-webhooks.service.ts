import { isIP } from 'node:net';
import type { Config } from '../../config';
import { NotFoundError, RequestValidationError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import { encryptSecret, randomToken } from '../../shared/secrets';
import type { AuditService } from '../audit/audit.service';
import { isPublicAddress } from './address-policy';
import type { Delivery, EndpointChanges, OutgoingWebhook, OutgoingWebhookRepository } from './outgoing-webhooks.repository';
import type { OutgoingEvent } from './outgoing-webhooks.schemas';

export interface EndpointInput {
  url: string;
  events: OutgoingEvent[];
  description?: string | null;
}

const ENTITY = 'Webhook endpoint';
const newSecret = () => `whsec_${randomToken(32)}`;
/** What the audit log keeps of an endpoint: everything but its secret (which the row never returns). */
const auditView = (endpoint: OutgoingWebhook) => ({ url: endpoint.url, events: endpoint.events, description: endpoint.description, is_active: endpoint.is_active });

/** Endpoints of the operator's own systems: made, changed and removed by a super_admin, audited. */
export class OutgoingWebhookService {
  private readonly repository: OutgoingWebhookRepository;
  private readonly auditService: AuditService;
  private readonly config: Config;

  constructor(deps: { outgoingWebhookRepository: OutgoingWebhookRepository; auditService: AuditService; config: Config }) {
    this.repository = deps.outgoingWebhookRepository;
    this.auditService = deps.auditService;
    this.config = deps.config;
  }

  /** The secret is in this answer only; the row keeps it encrypted, for signing. */
  async create(adminId: string, input: EndpointInput): Promise<OutgoingWebhook & { secret: string }> {
    this.checkTarget(input.url);
    const secret = newSecret();
    const created = await this.repository.transaction(async (trx) => {
      const endpoint = await this.repository.insert(
        { url: input.url, events: input.events, description: input.description || null, secret_encrypted: encryptSecret(secret, this.config.dataEncryptionKey), created_by: adminId },
        trx,
      );
      await this.auditService.record({ action: 'outgoing_webhook.created', entityType: 'outgoing_webhook', entityId: endpoint.id, newValue: auditView(endpoint) }, trx);
      return endpoint;
    });
    return { ...created, secret };
  }

  list(page: PageRequest): Promise<Page<OutgoingWebhook>> {
    return this.repository.list(page);
  }

  async get(id: string): Promise<OutgoingWebhook> {
    const endpoint = await this.repository.find(id);
    if (!endpoint) throw new NotFoundError(ENTITY);
    return endpoint;
  }

  async update(id: string, input: Partial<EndpointInput> & { is_active?: boolean }): Promise<OutgoingWebhook> {
    if (input.url !== undefined) this.checkTarget(input.url);
    const changes: EndpointChanges = { ...input, ...(input.description === '' ? { description: null } : {}) };
    // Switching an endpoint back on is a fresh start: its old failures no longer count.
    if (input.is_active === true) Object.assign(changes, { consecutive_failures: 0, disabled_reason: null });
    return this.repository.transaction(async (trx) => {
      const before = await this.repository.find(id, trx);
      if (!before) throw new NotFoundError(ENTITY);
      const after = (await this.repository.update(id, changes, trx))!;
      await this.auditService.record({ action: 'outgoing_webhook.updated', entityType: 'outgoing_webhook', entityId: id, oldValue: auditView(before), newValue: auditView(after) }, trx);
      return after;
    });
  }

  async rotateSecret(id: string): Promise<{ secret: string }> {
    const secret = newSecret();
    await this.repository.transaction(async (trx) => {
      if (!(await this.repository.update(id, { secret_encrypted: encryptSecret(secret, this.config.dataEncryptionKey) }, trx))) throw new NotFoundError(ENTITY);
      await this.auditService.record({ action: 'outgoing_webhook.secret_rotated', entityType: 'outgoing_webhook', entityId: id }, trx);
    });
    return { secret };
  }

  async delete(id: string): Promise<void> {
    await this.repository.transaction(async (trx) => {
      const before = await this.repository.find(id, trx);
      if (!before || !(await this.repository.delete(id, trx))) throw new NotFoundError(ENTITY);
      await this.auditService.record({ action: 'outgoing_webhook.deleted', entityType: 'outgoing_webhook', entityId: id, oldValue: auditView(before) }, trx);
    });
  }

  async deliveries(id: string, page: PageRequest): Promise<Page<Omit<Delivery, 'body' | 'endpoint_id'>>> {
    await this.get(id);
    return this.repository.deliveries(id, page);
  }

  /**
   * What can be refused at once is refused at once (422): plain http in production, credentials in
   * the URL, an address written in it that is not public. Names are judged where it counts, on
   * every address they resolve to at delivery time (WebhookSender).
   */
  private checkTarget(raw: string): void {
    const url = new URL(raw);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const refuse = (msg: string) => {
      throw new RequestValidationError([{ loc: ['body', 'url'], msg, type: 'url.refused' }]);
    };
    if (url.username || url.password) refuse('url must not carry credentials');
    if (this.config.isProduction && url.protocol !== 'https:') refuse('url must use https');
    if (!this.config.outgoingWebhooks.allowPrivateTargets && (host === 'localhost' || (isIP(host) && !isPublicAddress(host)))) {
      refuse('url must not point to a loopback, private or link-local address');
    }
  }
}

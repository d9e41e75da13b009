import type { Knex } from 'knex';
import type { RequestContext } from '../../shared/request-context';
import { redact } from '../../infrastructure/logger';
import type { AuditFilters, AuditRepository } from './audit.repository';
import type { Page, PageRequest } from '../../shared/pagination';
import type { AuditEntry } from './audit.repository';

export interface AuditEvent {
  action: string;
  /** The acting admin; defaults to the authenticated caller of the request. */
  adminId?: string | null;
  entityType?: string;
  entityId?: string;
  oldValue?: unknown;
  newValue?: unknown;
}

/** Writes audit entries stamped with the request's ip, user agent and id, secrets removed. */
export class AuditService {
  private readonly auditRepository: AuditRepository;
  private readonly requestContext: RequestContext;

  constructor({ auditRepository, requestContext }: { auditRepository: AuditRepository; requestContext: RequestContext }) {
    this.auditRepository = auditRepository;
    this.requestContext = requestContext;
  }

  /** Pass the transaction of the change itself, so the change and its record commit together. */
  async record(event: AuditEvent, trx?: Knex): Promise<void> {
    await this.auditRepository.insert(
      {
        admin_id: event.adminId === undefined ? (this.requestContext.adminId ?? null) : event.adminId,
        // A service acting with an API key is the actor of its changes (admin_id stays null).
        api_key_id: this.requestContext.apiKeyId ?? null,
        action: event.action,
        entity_type: event.entityType ?? null,
        entity_id: event.entityId ?? null,
        old_value: redact(event.oldValue),
        new_value: redact(event.newValue),
        // A worker's job has no client address.
        ip: this.requestContext.ip || null,
        user_agent: this.requestContext.userAgent ?? null,
        request_id: this.requestContext.requestId,
        job_id: this.requestContext.jobId ?? null,
      },
      trx,
    );
  }

  list(filters: AuditFilters, page: PageRequest): Promise<Page<AuditEntry>> {
    return this.auditRepository.list(filters, page);
  }
}

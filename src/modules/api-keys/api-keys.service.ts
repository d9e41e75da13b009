import { NotFoundError, PermissionDeniedError, RequestValidationError } from '../../shared/errors';
import { roleRank, type Role } from '../../shared/permissions';
import { sha256Hex } from '../../shared/secrets';
import type { AdminRepository } from '../admins/admins.repository';
import type { Caller } from '../admins/role-policy';
import type { AuditService } from '../audit/audit.service';
import { generateApiKey } from './api-key-format';
import type { ApiKeyListing, ApiKeyRepository } from './api-keys.repository';

export interface ApiKeyRequest {
  name: string;
  role: Role;
  expires_at?: Date | null;
}

/** A key as listed: never its secret or hash; `status` says whether it still authenticates. */
export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  status: 'active' | 'revoked' | 'expired';
  created_by: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const statusOf = (key: ApiKeyListing, now: Date): ApiKeyView['status'] => {
  if (key.revoked_at) return 'revoked';
  return key.expires_at && key.expires_at <= now ? 'expired' : 'active';
};

export const toApiKeyView = (key: ApiKeyListing, now = new Date()): ApiKeyView => ({
  id: key.id,
  name: key.name,
  prefix: `cvpn_${key.public_id}`,
  role: key.role,
  status: statusOf(key, now),
  created_by: key.created_by,
  created_at: key.created_at,
  expires_at: key.expires_at,
  revoked_at: key.revoked_at,
});

/**
 * Service credentials made by a super_admin for the Telegram bot and other services. A key acts
 * with a role strictly below super_admin, so no key can manage admins or make more keys.
 */
export class ApiKeyService {
  private readonly deps: { apiKeyRepository: ApiKeyRepository; adminRepository: AdminRepository; auditService: AuditService };

  constructor(deps: ApiKeyService['deps']) {
    this.deps = deps;
  }

  /** The key is in this answer only; the database keeps its SHA-256. */
  async create(caller: Caller, request: ApiKeyRequest): Promise<ApiKeyView & { key: string }> {
    if (roleRank(request.role) >= roleRank('super_admin') || roleRank(caller.role) < roleRank('super_admin')) {
      throw new PermissionDeniedError(`${caller.role} may not create a ${request.role} API key`);
    }
    if (request.expires_at && request.expires_at.getTime() <= Date.now()) {
      throw new RequestValidationError([{ loc: ['body', 'expires_at'], msg: 'expires_at must be in the future', type: 'date.greater' }]);
    }
    const { apiKeyRepository, adminRepository, auditService } = this.deps;
    const { key, publicId } = generateApiKey();
    const created = await adminRepository.transaction(async (trx) => {
      const inserted = await apiKeyRepository.insert(
        { public_id: publicId, name: request.name, role: request.role, key_hash: sha256Hex(key), created_by: caller.adminId, expires_at: request.expires_at ?? null },
        trx,
      );
      const view = toApiKeyView(inserted);
      await auditService.record({ action: 'api_key.created', entityType: 'api_key', entityId: inserted.id, newValue: { ...view } }, trx);
      return view;
    });
    return { ...created, key };
  }

  async list(): Promise<ApiKeyView[]> {
    const now = new Date();
    return (await this.deps.apiKeyRepository.list()).map((key) => toApiKeyView(key, now));
  }

  /** Revoked keys are refused from the next request on; revoking one again changes nothing. */
  async revoke(caller: Caller, id: string): Promise<void> {
    const { apiKeyRepository, adminRepository, auditService } = this.deps;
    await adminRepository.transaction(async (trx) => {
      const revoked = await apiKeyRepository.revoke(id, caller.adminId, trx);
      if (!revoked) {
        if (await apiKeyRepository.exists(id)) return;
        throw new NotFoundError('API key');
      }
      await auditService.record(
        { action: 'api_key.revoked', entityType: 'api_key', entityId: id, newValue: { revoked_at: revoked.revoked_at } },
        trx,
      );
    });
  }
}

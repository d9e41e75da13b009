import type { Role } from '../../shared/permissions';
import type { ApiKeyRepository } from '../api-keys/api-keys.repository';
import type { PrincipalRepository } from '../auth/principal.repository';
import type { LivePrincipalRef } from './ws-tickets';

/**
 * The authenticator's own liveness rule for a socket that outlives its request: the admin still
 * active and the session still live (the same query the authenticator runs on every request), or
 * the API key neither revoked nor expired. Answers the current role, which may have changed.
 */
export class LivePrincipalCheck {
  private readonly principalRepository: PrincipalRepository;
  private readonly apiKeyRepository: ApiKeyRepository;

  constructor(deps: { principalRepository: PrincipalRepository; apiKeyRepository: ApiKeyRepository }) {
    this.principalRepository = deps.principalRepository;
    this.apiKeyRepository = deps.apiKeyRepository;
  }

  /** The role the principal acts with now, or undefined when it may no longer act at all. */
  async currentRole(ref: LivePrincipalRef): Promise<Role | undefined> {
    if (ref.kind === 'api_key') return this.apiKeyRepository.liveRoleById(ref.apiKeyId);
    return this.principalRepository.liveRole(ref.adminId, ref.sessionId);
  }
}

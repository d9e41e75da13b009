import type { Request } from 'express';
import { sha256Hex } from '../../shared/secrets';
import { bearerTokenOf } from '../auth/authenticator';
import { isWellFormedApiKey, looksLikeApiKey } from './api-key-format';
import type { ApiKeyRepository, LiveApiKey } from './api-keys.repository';

/**
 * Checks the API key a request presents, once per request: the general rate limiter (which keys
 * its bucket by a valid key's id) and the authenticator both ask, and share the one lookup.
 * Revocation and expiry are read from the database each request, so they apply at once.
 */
export class ApiKeyVerifier {
  private readonly apiKeyRepository: ApiKeyRepository;
  private readonly checked = new WeakMap<Request, Promise<LiveApiKey | undefined>>();

  constructor({ apiKeyRepository }: { apiKeyRepository: ApiKeyRepository }) {
    this.apiKeyRepository = apiKeyRepository;
  }

  /** Whether the request's credentials are meant as an API key (an `Authorization: Bearer cvpn_...`). */
  presentsApiKey(req: Request): boolean {
    return looksLikeApiKey(/^Bearer\s+(\S+)/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
  }

  /** The live key the request presents, or undefined (none, unknown, revoked, expired, malformed). */
  verify(req: Request): Promise<LiveApiKey | undefined> {
    let result = this.checked.get(req);
    if (!result) {
      result = this.lookUp(req);
      this.checked.set(req, result);
    }
    return result;
  }

  private async lookUp(req: Request): Promise<LiveApiKey | undefined> {
    if (!this.presentsApiKey(req)) return undefined;
    let token: string;
    try {
      token = bearerTokenOf(req);
    } catch {
      return undefined;
    }
    return isWellFormedApiKey(token) ? this.apiKeyRepository.findLive(sha256Hex(token)) : undefined;
  }
}

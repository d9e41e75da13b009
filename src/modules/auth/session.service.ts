import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import { InvalidTokenError } from '../../shared/errors';
import type { RequestContext } from '../../shared/request-context';
import { randomToken, sha256Hex } from '../../shared/secrets';
import type { AuditService } from '../audit/audit.service';
import type { LinkedAccountService } from '../oauth/linked-accounts.service';
import type { SessionRepository, SessionSummary } from './sessions.repository';
import type { TokenService } from './token.service';

/** What login, refresh and 2FA completion answer with. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** Seconds the refresh token (and the session) stays valid; the cookie's Max-Age. */
  refresh_expires_in: number;
  /** Whether the client asked to stay signed in: persistent cookies or session cookies. */
  persistent: boolean;
}

/** Without "remember me", a session ends after a day even if REFRESH_TOKEN_TTL is longer. */
const SHORT_SESSION_SECONDS = 86_400;

/**
 * Login sessions: each sign-in starts a family of refresh tokens with an absolute expiry; every
 * refresh spends the presented token and issues the next; a spent token presented again means it
 * was stolen, and the whole family is revoked.
 */
export class SessionService {
  private readonly sessionRepository: SessionRepository;
  private readonly tokenService: TokenService;
  private readonly auditService: AuditService;
  private readonly requestContext: RequestContext;
  private readonly linkedAccountService: LinkedAccountService;
  private readonly refreshTtlSeconds: number;

  constructor(deps: {
    sessionRepository: SessionRepository;
    tokenService: TokenService;
    auditService: AuditService;
    requestContext: RequestContext;
    linkedAccountService: LinkedAccountService;
    config: Config;
  }) {
    this.sessionRepository = deps.sessionRepository;
    this.linkedAccountService = deps.linkedAccountService;
    this.tokenService = deps.tokenService;
    this.auditService = deps.auditService;
    this.requestContext = deps.requestContext;
    this.refreshTtlSeconds = deps.config.jwt.refreshTtlSeconds;
  }

  async start(adminId: string, rememberMe: boolean): Promise<TokenPair> {
    const ttl = rememberMe ? this.refreshTtlSeconds : Math.min(this.refreshTtlSeconds, SHORT_SESSION_SECONDS);
    const familyId = randomUUID();
    const refreshToken = randomToken();
    await this.sessionRepository.insert({
      admin_id: adminId,
      family_id: familyId,
      token_hash: sha256Hex(refreshToken),
      expires_at: new Date(Date.now() + ttl * 1000),
      ip: this.requestContext.ip,
      user_agent: this.requestContext.userAgent ?? null,
    });
    return this.pair(adminId, familyId, refreshToken, ttl, rememberMe);
  }

  async rotate(presented: string): Promise<{ adminId: string; tokens: TokenPair }> {
    const outcome = await this.sessionRepository.transaction(async (trx) => {
      const current = await this.sessionRepository.findByHashForUpdate(sha256Hex(presented), trx);
      if (!current || current.revoked_at) return { kind: 'refused' as const };
      if (current.replaced_by) {
        await this.sessionRepository.revokeFamily(current.family_id, trx);
        return { kind: 'reused' as const, adminId: current.admin_id, familyId: current.family_id };
      }
      if (current.expires_at.getTime() <= Date.now()) return { kind: 'refused' as const };

      const next = randomToken();
      const created = await this.sessionRepository.insert(
        {
          admin_id: current.admin_id,
          family_id: current.family_id,
          token_hash: sha256Hex(next),
          // Absolute expiry: rotating never extends a session.
          expires_at: current.expires_at,
          ip: this.requestContext.ip,
          user_agent: this.requestContext.userAgent ?? null,
        },
        trx,
      );
      await this.sessionRepository.markReplaced(current.id, created.id, trx);
      return { kind: 'rotated' as const, adminId: current.admin_id, familyId: current.family_id, next, expiresAt: current.expires_at };
    });

    if (outcome.kind === 'reused') {
      await this.auditService.record({
        action: 'session.reuse_detected',
        adminId: outcome.adminId,
        entityType: 'session',
        entityId: outcome.familyId,
      });
    }
    if (outcome.kind !== 'rotated') throw new InvalidTokenError(`refresh ${outcome.kind}`);
    const remaining = Math.max(1, Math.floor((outcome.expiresAt.getTime() - Date.now()) / 1000));
    // A session shorter than a day was started without "remember me"; keep its cookies that way.
    const persistent = remaining > SHORT_SESSION_SECONDS;
    return { adminId: outcome.adminId, tokens: this.pair(outcome.adminId, outcome.familyId, outcome.next, remaining, persistent) };
  }

  /** Ends the session the refresh token belongs to; an unknown token ends nothing and says nothing. */
  async endByRefreshToken(presented: string): Promise<void> {
    const token = await this.sessionRepository.findByHash(sha256Hex(presented));
    if (!token || token.revoked_at) return;
    await this.sessionRepository.revokeFamily(token.family_id);
    await this.auditService.record({ action: 'session.logout', adminId: token.admin_id, entityType: 'session', entityId: token.family_id });
  }

  async end(adminId: string, sessionId: string): Promise<boolean> {
    if ((await this.sessionRepository.revokeFamilyOf(adminId, sessionId)) === 0) return false;
    await this.auditService.record({ action: 'session.revoke', entityType: 'session', entityId: sessionId });
    return true;
  }

  /**
   * The remedy after a suspected theft (logout-all, password change, an admin's "revoke
   * sessions", deactivation), so it ends every way in a thief may hold, not only the sessions:
   * every session (or all but the caller's), every tfa token of a login half done, and every
   * linked outside account (a sign-in with no password). The audit names why.
   */
  async endAll(adminId: string, reason: string, exceptSessionId?: string): Promise<void> {
    await this.sessionRepository.invalidateIssuedBefore(adminId, new Date());
    const revoked = await this.sessionRepository.revokeAllOf(adminId, exceptSessionId);
    await this.auditService.record({ action: 'session.revoke_all', entityType: 'admin', entityId: adminId, newValue: { reason, revoked } });
    await this.linkedAccountService.removeAll(adminId, reason);
  }

  /** A tfa token made before the admin's last endAll() is dead, like the sessions it ended. */
  async assertNotRevokedSince(adminId: string, issuedAtMs: number): Promise<void> {
    const notBefore = await this.sessionRepository.issuedNotBefore(adminId);
    if (notBefore && issuedAtMs <= notBefore.getTime()) throw new InvalidTokenError('tfa token issued before the last revocation');
  }

  list(adminId: string): Promise<SessionSummary[]> {
    return this.sessionRepository.listLive(adminId);
  }

  private pair(adminId: string, familyId: string, refreshToken: string, refreshTtl: number, persistent: boolean): TokenPair {
    return {
      access_token: this.tokenService.issueAccessToken(adminId, familyId),
      refresh_token: refreshToken,
      token_type: 'bearer',
      expires_in: this.tokenService.accessTtlSeconds,
      refresh_expires_in: refreshTtl,
      persistent,
    };
  }
}

import type { AuditService } from '../audit/audit.service';
import type { OAuthAccountRecord, OAuthAccountRepository } from './oauth-accounts.repository';
import type { OAuthProvider } from './oauth-state.store';

/** What the API shows of a linked account: never a token. */
export interface LinkedAccountView {
  provider: OAuthProvider;
  provider_user_id: string;
  provider_username: string | null;
}

export const toLinkedAccountView = (account: OAuthAccountRecord): LinkedAccountView => ({
  provider: account.provider,
  provider_user_id: account.provider_user_id,
  provider_username: account.provider_username,
});

/**
 * The outside accounts through which one can sign in as an admin, as their owner sees and
 * loses them. A link is a way in that needs no password, so the remedies an owner reaches for
 * after a theft (change password, log out everywhere, an admin's "revoke sessions" or
 * deactivation) remove every link too: a thief's link dies with them. The owner links again,
 * after re-authenticating.
 */
export class LinkedAccountService {
  private readonly deps: { oauthAccountRepository: OAuthAccountRepository; auditService: AuditService };

  constructor(deps: LinkedAccountService['deps']) {
    this.deps = deps;
  }

  async list(adminId: string): Promise<(LinkedAccountView & { linked_at: Date })[]> {
    const accounts = await this.deps.oauthAccountRepository.listOf(adminId);
    return accounts.map((account) => ({ ...toLinkedAccountView(account), linked_at: account.created_at }));
  }

  /** Removes every link of the admin, each audited with `reason`; answers how many. */
  async removeAll(adminId: string, reason: string): Promise<number> {
    const removed = await this.deps.oauthAccountRepository.removeAllOf(adminId);
    for (const account of removed) {
      await this.deps.auditService.record({
        action: 'oauth.unlinked',
        entityType: 'oauth_account',
        entityId: account.id,
        oldValue: { ...toLinkedAccountView(account), admin_id: adminId },
        newValue: { reason },
      });
    }
    return removed.length;
  }
}

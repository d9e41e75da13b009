import type { Config } from '../../config';
import type { GitHubClient, GitHubUser } from '../../integrations/github/github.client';
import { InvalidCredentialsError, NotFoundError } from '../../shared/errors';
import { encryptSecret } from '../../shared/secrets';
import type { AuditService } from '../audit/audit.service';
import type { AuthService, LoginResult } from '../auth/auth.service';
import type { OAuthAccountRecord, OAuthAccountRepository } from './oauth-accounts.repository';
import type { OAuthProvider, OAuthStateStore } from './oauth-state.store';
import { telegramAuthorizeUrl, type TelegramLoginVerifier, type TelegramWidgetFields } from './telegram-login';

/** What the API shows of a linked account. */
export interface LinkedAccountView {
  provider: OAuthProvider;
  provider_user_id: string;
  provider_username: string | null;
}

/** The account a provider vouched for, with the token to keep (encrypted) if it gave one. */
interface ProvenIdentity {
  provider: OAuthProvider;
  providerUserId: string;
  username: string | null;
  accessToken: string | null;
}

/** The widget fields plus our own optional `state`, which is not Telegram's and is not signed. */
export type TelegramPayload = TelegramWidgetFields & { state?: string };

const toView = (account: OAuthAccountRecord): LinkedAccountView => ({
  provider: account.provider,
  provider_user_id: account.provider_user_id,
  provider_username: account.provider_username,
});

/**
 * Linking outside accounts (GitHub, Telegram) to admins, and signing in through them.
 *
 * Every refusal of what the client brought (unknown or spent state, a code GitHub refuses, a bad
 * or stale Telegram hash, an account linked to nobody) is 401 "Invalid credentials", audited with
 * its reason; GitHub being down or answering nonsense is 502/504 (from the client).
 */
export class OAuthService {
  private readonly deps: {
    githubClient: GitHubClient;
    telegramLoginVerifier: TelegramLoginVerifier;
    oauthStateStore: OAuthStateStore;
    oauthAccountRepository: OAuthAccountRepository;
    authService: AuthService;
    auditService: AuditService;
    config: Config;
  };

  constructor(deps: OAuthService['deps']) {
    this.deps = deps;
  }

  async authorize(provider: OAuthProvider): Promise<{ authorize_url: string; state: string }> {
    const { oauthStateStore, githubClient, config } = this.deps;
    const state = await oauthStateStore.issue(provider);
    if (provider === 'github') return { authorize_url: githubClient.authorizeUrl(state), state };
    const origin = config.http.corsOrigins.find((candidate) => candidate !== '*');
    return { authorize_url: telegramAuthorizeUrl(config.telegram.botToken, origin), state };
  }

  async linkGitHub(adminId: string, code: string, state: string): Promise<LinkedAccountView> {
    const identity = await this.proveGitHub(code, state, (reason) => this.linkFailed(adminId, 'github', reason));
    return this.link(adminId, identity);
  }

  async linkTelegram(adminId: string, payload: TelegramPayload): Promise<LinkedAccountView> {
    const identity = await this.proveTelegram(payload, (reason) => this.linkFailed(adminId, 'telegram', reason));
    return this.link(adminId, identity);
  }

  async loginWithGitHub(code: string, state: string): Promise<LoginResult> {
    const identity = await this.proveGitHub(code, state, (reason) => this.loginFailed('github', reason));
    return this.loginAs(identity);
  }

  async loginWithTelegram(payload: TelegramPayload): Promise<LoginResult> {
    const identity = await this.proveTelegram(payload, (reason) => this.loginFailed('telegram', reason));
    return this.loginAs(identity);
  }

  async unlink(adminId: string, provider: OAuthProvider): Promise<void> {
    const removed = await this.deps.oauthAccountRepository.remove(adminId, provider);
    if (!removed) throw new NotFoundError('OAuth account');
    await this.deps.auditService.record({
      action: 'oauth.unlinked',
      entityType: 'oauth_account',
      entityId: removed.id,
      oldValue: toView(removed),
    });
  }

  /** State first (spent even if the rest fails), then the code exchange, then the profile. */
  private async proveGitHub(code: string, state: string, refuse: (reason: string) => Promise<never>): Promise<ProvenIdentity> {
    const { oauthStateStore, githubClient } = this.deps;
    if (!(await oauthStateStore.consume('github', state))) return refuse('unknown_state');
    const exchange = await githubClient.exchangeCode(code);
    if (exchange.kind === 'rejected') return refuse(`github_${exchange.error}`);
    const user: GitHubUser = await githubClient.fetchUser(exchange.accessToken);
    return { provider: 'github', providerUserId: String(user.id), username: user.login, accessToken: exchange.accessToken };
  }

  private async proveTelegram(payload: TelegramPayload, refuse: (reason: string) => Promise<never>): Promise<ProvenIdentity> {
    const { state, ...fields } = payload;
    if (state !== undefined && !(await this.deps.oauthStateStore.consume('telegram', state))) return refuse('unknown_state');
    const check = this.deps.telegramLoginVerifier.check(fields);
    if (!check.ok) return refuse(`telegram_${check.reason}`);
    return { provider: 'telegram', providerUserId: check.identity.id, username: check.identity.username, accessToken: null };
  }

  private async link(adminId: string, identity: ProvenIdentity): Promise<LinkedAccountView> {
    const { oauthAccountRepository, auditService, config } = this.deps;
    const account = await oauthAccountRepository.link({
      admin_id: adminId,
      provider: identity.provider,
      provider_user_id: identity.providerUserId,
      provider_username: identity.username,
      access_token_encrypted: identity.accessToken ? encryptSecret(identity.accessToken, config.dataEncryptionKey) : null,
    });
    const view = toView(account);
    await auditService.record({ action: 'oauth.linked', entityType: 'oauth_account', entityId: account.id, newValue: view });
    return view;
  }

  private async loginAs(identity: ProvenIdentity): Promise<LoginResult> {
    const { oauthAccountRepository, authService, config } = this.deps;
    const account = await oauthAccountRepository.findByProviderUser(identity.provider, identity.providerUserId);
    if (account) {
      await oauthAccountRepository.refresh(account.id, {
        provider_username: identity.username,
        access_token_encrypted: identity.accessToken
          ? encryptSecret(identity.accessToken, config.dataEncryptionKey)
          : account.access_token_encrypted,
      });
    }
    return authService.loginWithLinkedAccount(account?.admin_id ?? null, `oauth:${identity.provider}`);
  }

  private async linkFailed(adminId: string, provider: OAuthProvider, reason: string): Promise<never> {
    await this.deps.auditService.record({ action: 'oauth.link_failed', adminId, entityType: 'oauth_account', newValue: { provider, reason } });
    throw new InvalidCredentialsError(reason);
  }

  private async loginFailed(provider: OAuthProvider, reason: string): Promise<never> {
    await this.deps.auditService.record({
      action: 'auth.login_failed',
      adminId: null,
      entityType: 'admin',
      newValue: { reason, method: `oauth:${provider}` },
    });
    throw new InvalidCredentialsError(reason);
  }
}

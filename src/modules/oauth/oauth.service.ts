import type { Config } from '../../config';
import type { GitHubClient, GitHubUser } from '../../integrations/github/github.client';
import { InvalidCredentialsError, NotFoundError } from '../../shared/errors';
import { encryptSecret, sha256Hex } from '../../shared/secrets';
import type { AuditService } from '../audit/audit.service';
import type { AuthService, LoginResult } from '../auth/auth.service';
import { toLinkedAccountView, type LinkedAccountView } from './linked-accounts.service';
import type { OAuthAccountRepository } from './oauth-accounts.repository';
import type { OAuthProvider, OAuthStateExpectation, OAuthStateStore } from './oauth-state.store';
import { telegramAuthorizeUrl, type TelegramLoginVerifier, type TelegramWidgetFields } from './telegram-login';


/** The account a provider vouched for, with the token to keep (encrypted) if it gave one. */
interface ProvenIdentity {
  provider: OAuthProvider;
  providerUserId: string;
  username: string | null;
  accessToken: string | null;
}

/** The widget fields plus our own `state`, which is not Telegram's and is not signed: required to link and to sign in. */
export type TelegramPayload = TelegramWidgetFields & { state?: string };

/**
 * Linking outside accounts (GitHub, Telegram) to admins, and signing in through them.
 *
 * A state is issued for one purpose: `authorize` called with the caller's credentials issues a
 * `link` state bound to that admin, without credentials a `login` state. Linking accepts only a
 * link state of the caller; signing in only a login state. Otherwise someone could approve with
 * their own GitHub/Telegram, keep code + state, and have another admin's session post them,
 * linking their account to that admin, then sign in as that admin.
 *
 * Every refusal of what the client brought (unknown, spent or mismatched state, a code GitHub
 * refuses, a bad, stale or already used Telegram payload, an account linked to nobody) is 401
 * "Invalid credentials", audited with its reason; GitHub being down or answering nonsense is
 * 502/504 (from the client).
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

  /**
   * `linkingAdminId`: the authenticated (re-authenticated) caller, whose state may only link.
   * None: a login state, bound to the asking browser by `browserNonce` (the route sets it as a
   * cookie; only its hash is kept with the state).
   */
  async authorize(
    provider: OAuthProvider,
    caller: { linkingAdminId: string } | { browserNonce: string },
  ): Promise<{ authorize_url: string; state: string }> {
    const { oauthStateStore, githubClient, config } = this.deps;
    const state = await oauthStateStore.issue(
      'linkingAdminId' in caller
        ? { provider, purpose: 'link', adminId: caller.linkingAdminId }
        : { provider, purpose: 'login', browser: sha256Hex(caller.browserNonce) },
    );
    if (provider === 'github') return { authorize_url: githubClient.authorizeUrl(state), state };
    const origin = config.http.corsOrigins.find((candidate) => candidate !== '*');
    return { authorize_url: telegramAuthorizeUrl(config.telegram.botToken, origin), state };
  }

  async linkGitHub(adminId: string, code: string, state: string): Promise<LinkedAccountView> {
    const identity = await this.proveGitHub(code, state, { provider: 'github', purpose: 'link', adminId }, (reason) =>
      this.linkFailed(adminId, 'github', reason),
    );
    return this.link(adminId, identity);
  }

  async linkTelegram(adminId: string, payload: TelegramPayload): Promise<LinkedAccountView> {
    const refuse = (reason: string) => this.linkFailed(adminId, 'telegram', reason);
    // Validation already requires it; a link without a state bound to the caller is never accepted.
    if (payload.state === undefined) return refuse('missing_state');
    const identity = await this.proveTelegram(payload, { provider: 'telegram', purpose: 'link', adminId }, refuse);
    return this.link(adminId, identity);
  }

  /** `browserNonce`: the login-nonce cookie the browser sent back, if any. */
  async loginWithGitHub(code: string, state: string, browserNonce: string | undefined): Promise<LoginResult> {
    const identity = await this.proveGitHub(code, state, { provider: 'github', purpose: 'login', browserNonce }, (reason) =>
      this.loginFailed('github', reason),
    );
    return this.loginAs(identity);
  }

  async loginWithTelegram(payload: TelegramPayload, browserNonce: string | undefined): Promise<LoginResult> {
    const refuse = (reason: string) => this.loginFailed('telegram', reason);
    // Validation already requires it: a sign-in without a state of this browser is login CSRF's door.
    if (payload.state === undefined) return refuse('missing_state');
    const identity = await this.proveTelegram(payload, { provider: 'telegram', purpose: 'login', browserNonce }, refuse);
    return this.loginAs(identity);
  }

  async unlink(adminId: string, provider: OAuthProvider): Promise<void> {
    const removed = await this.deps.oauthAccountRepository.remove(adminId, provider);
    if (!removed) throw new NotFoundError('OAuth account');
    await this.deps.auditService.record({
      action: 'oauth.unlinked',
      entityType: 'oauth_account',
      entityId: removed.id,
      oldValue: toLinkedAccountView(removed),
    });
  }

  /** State first (spent even if the rest fails), then the code exchange, then the profile. */
  private async proveGitHub(
    code: string,
    state: string,
    expected: OAuthStateExpectation,
    refuse: (reason: string) => Promise<never>,
  ): Promise<ProvenIdentity> {
    const { oauthStateStore, githubClient } = this.deps;
    const stateCheck = await oauthStateStore.consume(state, expected);
    if (!stateCheck.ok) return refuse(stateCheck.reason);
    const exchange = await githubClient.exchangeCode(code);
    if (exchange.kind === 'rejected') return refuse(`github_${exchange.error}`);
    const user: GitHubUser = await githubClient.fetchUser(exchange.accessToken);
    return { provider: 'github', providerUserId: String(user.id), username: user.login, accessToken: exchange.accessToken };
  }

  /** The state when there is one (spent even if the rest fails), then the signed fields, then the payload is spent. */
  private async proveTelegram(
    payload: TelegramPayload,
    expected: OAuthStateExpectation,
    refuse: (reason: string) => Promise<never>,
  ): Promise<ProvenIdentity> {
    const { state, ...fields } = payload;
    if (state !== undefined) {
      const stateCheck = await this.deps.oauthStateStore.consume(state, expected);
      if (!stateCheck.ok) return refuse(stateCheck.reason);
    }
    const { telegramLoginVerifier, oauthStateStore } = this.deps;
    const check = telegramLoginVerifier.check(fields);
    if (!check.ok) return refuse(`telegram_${check.reason}`);
    const { id, username, authDate } = check.identity;
    // A signed payload is good for one use, link or sign-in, in one store: one captured while it
    // was used cannot be replayed (to sign in, or to link again) while it is still fresh.
    if (!(await oauthStateStore.spendTelegramPayload(String(fields.hash), telegramLoginVerifier.secondsStillFresh(authDate)))) {
      return refuse('telegram_payload_reused');
    }
    return { provider: 'telegram', providerUserId: id, username, accessToken: null };
  }

  private async link(adminId: string, identity: ProvenIdentity): Promise<LinkedAccountView> {
    const { oauthAccountRepository, auditService } = this.deps;
    const account = await oauthAccountRepository.link({
      admin_id: adminId,
      provider: identity.provider,
      provider_user_id: identity.providerUserId,
      provider_username: identity.username,
      access_token_encrypted: this.sealed(identity.accessToken),
    });
    const view = toLinkedAccountView(account);
    await auditService.record({ action: 'oauth.linked', entityType: 'oauth_account', entityId: account.id, newValue: view });
    return view;
  }

  private async loginAs(identity: ProvenIdentity): Promise<LoginResult> {
    const { oauthAccountRepository, authService } = this.deps;
    const account = await oauthAccountRepository.findByProviderUser(identity.provider, identity.providerUserId);
    if (account) {
      await oauthAccountRepository.refresh(account.id, {
        provider_username: identity.username,
        access_token_encrypted: this.sealed(identity.accessToken) ?? account.access_token_encrypted,
      });
    }
    return authService.loginWithLinkedAccount(account?.admin_id ?? null, `oauth:${identity.provider}`);
  }

  /** A provider's token as stored: encrypted at rest, or nothing when the provider gave none. */
  private sealed(token: string | null): string | null {
    return token ? encryptSecret(token, this.deps.config.dataEncryptionKey) : null;
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

import type { RedisClient } from './infrastructure/redis/redis';
import { asClass, asFunction, asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix';
import type { Knex } from 'knex';
import type { Config } from './config';
import { createKnex } from './infrastructure/db/knex';
import { createLogger, type Logger } from './infrastructure/logger';
import { Metrics } from './infrastructure/metrics';
import { ReadinessProbe } from './infrastructure/readiness';
import { createRedis } from './infrastructure/redis/redis';
import { buildOpenApiDocument } from './http/openapi';
import { routeGroups } from './http/route-table';
import { RequestContextStore, type RequestContext } from './shared/request-context';
import { PasswordHasher } from './infrastructure/password-hasher';
import { AdminRepository } from './modules/admins/admins.repository';
import { AdminService } from './modules/admins/admins.service';
import { InviteRepository } from './modules/admins/invites.repository';
import { InviteService } from './modules/admins/invites.service';
import { AuditRepository } from './modules/audit/audit.repository';
import { AuditService } from './modules/audit/audit.service';
import { Authenticator } from './modules/auth/authenticator';
import { AuthService } from './modules/auth/auth.service';
import { LoginThrottle } from './modules/auth/login-throttle';
import { PasswordCostRepository } from './modules/auth/password-costs.repository';
import { PrincipalRepository } from './modules/auth/principal.repository';
import { SessionRepository } from './modules/auth/sessions.repository';
import { SessionService } from './modules/auth/session.service';
import { ReauthMarks } from './modules/auth/reauth-marks';
import { ReauthService } from './modules/auth/reauth.service';
import { TokenService } from './modules/auth/token.service';
import { PlanRepository } from './modules/plans/plans.repository';
import { PlanService } from './modules/plans/plans.service';
import { Totp } from './modules/two-factor/totp';
import { TwoFactorService } from './modules/two-factor/two-factor.service';
import { GitHubClient } from './integrations/github/github.client';
import { OAuthAccountRepository } from './modules/oauth/oauth-accounts.repository';
import { OAuthStateStore } from './modules/oauth/oauth-state.store';
import { OAuthService } from './modules/oauth/oauth.service';
import { LinkedAccountService } from './modules/oauth/linked-accounts.service';
import { TelegramLoginVerifier } from './modules/oauth/telegram-login';
import { systemClock, type Clock } from './shared/clock';
import { RemnawaveClient } from './integrations/remnawave/remnawave.client';
import { RemnawaveTransport } from './integrations/remnawave/remnawave.transport';
import { VpnUserService } from './modules/vpn-users/vpn-users.service';
import { GeolocationRepository } from './modules/servers/geolocations.repository';
import { ServerService } from './modules/servers/servers.service';
import { HostService } from './modules/hosts/hosts.service';
import { PanelPassThroughService } from './modules/panel/panel-pass-through.service';
import { MonitoringService } from './modules/monitoring/monitoring.service';
import { DEFAULT_REMNAWAVE_RESILIENCE, type RemnawaveResilience } from './integrations/remnawave/resilience';
import { ApiKeyRepository } from './modules/api-keys/api-keys.repository';
import { ApiKeyVerifier } from './modules/api-keys/api-key.verifier';
import { ApiKeyService } from './modules/api-keys/api-keys.service';
import { JobQueues } from './infrastructure/queues/job-queues';
import { WebhookLogRepository } from './modules/webhooks/webhook-logs.repository';
import { WebhookJobs } from './modules/webhooks/webhook-jobs';
import { WebhookIntakeService } from './modules/webhooks/webhook-intake.service';
import { WebhookIntakeBatches } from './modules/webhooks/webhook-intake-batches';
import { WebhookLogService } from './modules/webhooks/webhook-log.service';
import { WebhookProcessor } from './modules/webhooks/webhook-processor';
import { WebhookSweep } from './modules/webhooks/webhook-sweep';
import { RemnawaveEventHandler } from './modules/webhooks/remnawave-events';
import { NotificationOutbox } from './modules/notifications/notification-outbox';
import { NodeAlertWindow } from './modules/notifications/node-alert-window';
import { QueueMonitor } from './infrastructure/queues/queue-monitor';
import { PaymentSettlementRepository } from './modules/payments/payment-settlement.repository';
import { PaymentSettlementService } from './modules/payments/payment-settlement.service';
import { PaymentReconciliationService } from './modules/payments/payment-reconciliation.service';
import { OutgoingWebhookRepository } from './modules/outgoing-webhooks/outgoing-webhooks.repository';
import { OutgoingWebhookService } from './modules/outgoing-webhooks/outgoing-webhooks.service';
import { OutgoingWebhookEvents } from './modules/outgoing-webhooks/outgoing-webhook-events';
import { OutgoingWebhookDelivery } from './modules/outgoing-webhooks/outgoing-webhook-delivery';
import { WebhookSender } from './modules/outgoing-webhooks/webhook-sender';
import { CryptoPayClient, DEFAULT_CRYPTOPAY_RESILIENCE, type CryptoPayResilience } from './integrations/cryptobot/cryptopay.client';
import { PaymentRepository } from './modules/payments/payments.repository';
import { PaymentService } from './modules/payments/payments.service';
import { IdempotencyRepository } from './modules/payments/idempotency.repository';
import { IdempotencyKeyPruning } from './modules/payments/idempotency-key-pruning';
import { LiveEvents } from './modules/live/live-events';
import { WsTicketStore } from './modules/live/ws-tickets';
import { LivePrincipalCheck } from './modules/live/live-principals';
import { NodeStatusPoll } from './modules/live/node-status-poll';
import { TelegramClient } from './integrations/telegram/telegram.client';
import { NotificationRepository } from './modules/notifications/notifications.repository';
import { NotificationDispatcher } from './modules/notifications/notification-dispatcher';
import { ChatPacer } from './modules/notifications/chat-pacer';
import { deliveryPolicyFrom, type DeliveryPolicy } from './modules/notifications/delivery-policy';
import { NotificationDeliveryService } from './modules/notifications/notification-delivery.service';
import { NotificationSweepService } from './modules/notifications/notification-sweep.service';
import { ExpiryReminderService } from './modules/notifications/expiry-reminder.service';
import { NotificationService } from './modules/notifications/notifications.service';
import { BroadcastService } from './modules/notifications/broadcasts.service';
import packageJson from '../package.json';

/**
 * The composition root: every registration of every process, in one place.
 * Singletons hold connections and pools; everything that may know the current request is scoped.
 */
export interface Cradle {
  config: Config;
  requestContextStore: RequestContextStore;
  logger: Logger;
  metrics: Metrics;
  db: Knex;
  redis: RedisClient;
  readinessProbe: ReadinessProbe;
  openApiDocument: Record<string, unknown>;
  passwordHasher: PasswordHasher;
  tokenService: TokenService;
  loginThrottle: LoginThrottle;
  totp: Totp;
  /** The time freshness checks judge by; tests may register a fixed one. */
  clock: Clock;
  githubClient: GitHubClient;
  telegramLoginVerifier: TelegramLoginVerifier;
  oauthStateStore: OAuthStateStore;
  reauthMarks: ReauthMarks;
  /** Pool, retry and breaker settings of the panel client; tests may register tighter ones. */
  remnawaveResilience: RemnawaveResilience;
  remnawaveTransport: RemnawaveTransport;
  remnawaveClient: RemnawaveClient;
  apiKeyRepository: ApiKeyRepository;
  /** One per process: the rate limiter and the authenticator share each request's key lookup. */
  apiKeyVerifier: ApiKeyVerifier;
  /** BullMQ producers: every queue's jobs are added through this one per process. */
  jobQueues: JobQueues;
  /** Adds webhook jobs with the configured retries (intake, retry endpoint, sweep). */
  webhookJobs: WebhookJobs;
  /** The intake's row inserts and `queued` marks, shared by concurrent deliveries (one per process). */
  webhookIntakeBatches: WebhookIntakeBatches;
  /** Queue depths and ages, for /monitoring/health and the /metrics gauges. */
  queueMonitor: QueueMonitor;
  /** The HTTP client of outgoing webhooks: its own pool, receivers' addresses checked at connect time. */
  webhookSender: WebhookSender;
  /** Pool, retry and breaker settings of the Crypto Pay client; tests may register tighter ones. */
  cryptoPayResilience: CryptoPayResilience;
  cryptoPayClient: CryptoPayClient;

  /** Registered on each request scope by src/http/request-scope.ts. */
  requestContext: RequestContext;
  authenticator: Authenticator;
  adminRepository: AdminRepository;
  auditRepository: AuditRepository;
  auditService: AuditService;
  principalRepository: PrincipalRepository;
  passwordCostRepository: PasswordCostRepository;
  sessionRepository: SessionRepository;
  sessionService: SessionService;
  twoFactorService: TwoFactorService;
  authService: AuthService;
  reauthService: ReauthService;
  planRepository: PlanRepository;
  planService: PlanService;
  oauthAccountRepository: OAuthAccountRepository;
  oauthService: OAuthService;
  linkedAccountService: LinkedAccountService;
  adminService: AdminService;
  inviteRepository: InviteRepository;
  inviteService: InviteService;
  vpnUserService: VpnUserService;
  geolocationRepository: GeolocationRepository;
  serverService: ServerService;
  hostService: HostService;
  /** Runs the rows of the pass-through table (src/modules/panel/panel-routes.table.ts). */
  panelPassThroughService: PanelPassThroughService;
  monitoringService: MonitoringService;
  apiKeyService: ApiKeyService;
  webhookLogRepository: WebhookLogRepository;
  webhookIntakeService: WebhookIntakeService;
  webhookLogService: WebhookLogService;
  /** Worker side: a job's processing and the periodic sweep. */
  webhookProcessor: WebhookProcessor;
  webhookSweep: WebhookSweep;
  remnawaveEventHandler: RemnawaveEventHandler;
  notificationOutbox: NotificationOutbox;
  nodeAlertWindow: NodeAlertWindow;
  paymentSettlementRepository: PaymentSettlementRepository;
  paymentSettlementService: PaymentSettlementService;
  paymentReconciliationService: PaymentReconciliationService;
  outgoingWebhookRepository: OutgoingWebhookRepository;
  outgoingWebhookService: OutgoingWebhookService;
  outgoingWebhookEvents: OutgoingWebhookEvents;
  outgoingWebhookDelivery: OutgoingWebhookDelivery;
  paymentRepository: PaymentRepository;
  paymentService: PaymentService;
  idempotencyRepository: IdempotencyRepository;
  idempotencyKeyPruning: IdempotencyKeyPruning;
  /** Live monitoring: events published through Redis by any process, tickets of the API's socket. */
  liveEvents: LiveEvents;
  wsTicketStore: WsTicketStore;
  livePrincipalCheck: LivePrincipalCheck;
  nodeStatusPoll: NodeStatusPoll;
  /** One Bot API client per process: it owns the keep-alive socket pool. */
  telegramClient: TelegramClient;
  notificationRepository: NotificationRepository;
  notificationDispatcher: NotificationDispatcher;
  chatPacer: ChatPacer;
  /** Retry limits of delivery; tests may register tighter ones. */
  deliveryPolicy: DeliveryPolicy;
  notificationDeliveryService: NotificationDeliveryService;
  notificationSweepService: NotificationSweepService;
  expiryReminderService: ExpiryReminderService;
  notificationService: NotificationService;
  broadcastService: BroadcastService;
}

export type AppContainer = AwilixContainer<Cradle>;

export function buildContainer(config: Config): AppContainer {
  const container = createContainer<Cradle>({ injectionMode: InjectionMode.PROXY, strict: true });

  container.register({
    config: asValue(config),
    requestContextStore: asClass(RequestContextStore).singleton(),
    // No disposer: the logger must outlive every other disposer that may still log (knex, Redis).
    logger: asFunction(createLogger).singleton(),
    metrics: asClass(Metrics).singleton(),
    db: asFunction(createKnex)
      .singleton()
      .disposer((db) => db.destroy()),
    redis: asFunction(createRedis)
      .singleton()
      .disposer(async (redis) => {
        redis.disconnect();
      }),
    readinessProbe: asClass(ReadinessProbe).singleton(),
    openApiDocument: asFunction(() => buildOpenApiDocument(routeGroups, packageJson.version)).singleton(),
    passwordHasher: asClass(PasswordHasher)
      .singleton()
      .disposer((hasher) => hasher.close()),
    tokenService: asClass(TokenService).singleton(),
    loginThrottle: asClass(LoginThrottle).singleton(),
    totp: asClass(Totp).singleton(),
    clock: asValue(systemClock),
    // Stateless: configuration only (the HTTP client, the widget check, the Redis-held OAuth state).
    githubClient: asClass(GitHubClient).singleton(),
    telegramLoginVerifier: asClass(TelegramLoginVerifier).singleton(),
    oauthStateStore: asClass(OAuthStateStore).singleton(),
    reauthMarks: asClass(ReauthMarks).singleton(),
    // One panel client per process: it owns the keep-alive socket pool and the circuit breaker.
    remnawaveResilience: asValue(DEFAULT_REMNAWAVE_RESILIENCE),
    remnawaveTransport: asClass(RemnawaveTransport)
      .singleton()
      .disposer((transport) => transport.close()),
    remnawaveClient: asClass(RemnawaveClient).singleton(),
    apiKeyRepository: asClass(ApiKeyRepository).singleton(),
    apiKeyVerifier: asClass(ApiKeyVerifier).singleton(),
    jobQueues: asClass(JobQueues)
      .singleton()
      .disposer((queues) => queues.close()),
    webhookJobs: asClass(WebhookJobs).singleton(),
    webhookIntakeBatches: asClass(WebhookIntakeBatches).singleton(),
    queueMonitor: asClass(QueueMonitor).singleton(),
    webhookSender: asClass(WebhookSender)
      .singleton()
      .disposer((sender) => sender.close()),
    // One Crypto Pay client per process, like the panel's: its socket pool and breaker.
    cryptoPayResilience: asValue(DEFAULT_CRYPTOPAY_RESILIENCE),
    cryptoPayClient: asClass(CryptoPayClient)
      .singleton()
      .disposer((client) => client.close()),

    // Request-scoped: anything that may know the current request (context, caller, audit stamp).
    authenticator: asClass(Authenticator).scoped(),
    adminRepository: asClass(AdminRepository).scoped(),
    auditRepository: asClass(AuditRepository).scoped(),
    auditService: asClass(AuditService).scoped(),
    principalRepository: asClass(PrincipalRepository).scoped(),
    passwordCostRepository: asClass(PasswordCostRepository).scoped(),
    sessionRepository: asClass(SessionRepository).scoped(),
    sessionService: asClass(SessionService).scoped(),
    twoFactorService: asClass(TwoFactorService).scoped(),
    authService: asClass(AuthService).scoped(),
    reauthService: asClass(ReauthService).scoped(),
    planRepository: asClass(PlanRepository).scoped(),
    planService: asClass(PlanService).scoped(),
    oauthAccountRepository: asClass(OAuthAccountRepository).scoped(),
    oauthService: asClass(OAuthService).scoped(),
    linkedAccountService: asClass(LinkedAccountService).scoped(),
    // Admin management, invites and registration.
    adminService: asClass(AdminService).scoped(),
    inviteRepository: asClass(InviteRepository).scoped(),
    inviteService: asClass(InviteService).scoped(),
    // VPN users: the Remnawave panel's, through the singleton client.
    vpnUserService: asClass(VpnUserService).scoped(),
    geolocationRepository: asClass(GeolocationRepository).scoped(),
    serverService: asClass(ServerService).scoped(),
    hostService: asClass(HostService).scoped(),
    panelPassThroughService: asClass(PanelPassThroughService).scoped(),
    monitoringService: asClass(MonitoringService).scoped(),
    apiKeyService: asClass(ApiKeyService).scoped(),
    // Webhooks: intake and the admin log in the API, processing and the sweep in the webhook worker.
    webhookLogRepository: asClass(WebhookLogRepository).scoped(),
    webhookIntakeService: asClass(WebhookIntakeService).scoped(),
    webhookLogService: asClass(WebhookLogService).scoped(),
    webhookProcessor: asClass(WebhookProcessor).scoped(),
    webhookSweep: asClass(WebhookSweep).scoped(),
    remnawaveEventHandler: asClass(RemnawaveEventHandler).scoped(),
    notificationOutbox: asClass(NotificationOutbox).scoped(),
    nodeAlertWindow: asClass(NodeAlertWindow).scoped(),
    // Payments: settlement runs in the webhook worker's job scope (and reconciliation's).
    paymentSettlementRepository: asClass(PaymentSettlementRepository).singleton(),
    paymentSettlementService: asClass(PaymentSettlementService).scoped(),
    paymentReconciliationService: asClass(PaymentReconciliationService).scoped(),
    // Outgoing webhooks: endpoints (API), events recorded by whoever causes them, deliveries (worker).
    outgoingWebhookRepository: asClass(OutgoingWebhookRepository).singleton(),
    outgoingWebhookService: asClass(OutgoingWebhookService).scoped(),
    outgoingWebhookEvents: asClass(OutgoingWebhookEvents).singleton(),
    outgoingWebhookDelivery: asClass(OutgoingWebhookDelivery).scoped(),
    // Payments: invoices through Crypto Pay, the payment rows and the idempotency keys of their requests.
    paymentRepository: asClass(PaymentRepository).scoped(),
    paymentService: asClass(PaymentService).scoped(),
    idempotencyRepository: asClass(IdempotencyRepository).scoped(),
    idempotencyKeyPruning: asClass(IdempotencyKeyPruning).scoped(),
    // Live monitoring: the publisher every process shares, the socket's tickets and re-checks, the node poll.
    liveEvents: asClass(LiveEvents).singleton(),
    wsTicketStore: asClass(WsTicketStore).singleton(),
    livePrincipalCheck: asClass(LivePrincipalCheck).scoped(),
    nodeStatusPoll: asClass(NodeStatusPoll).scoped(),
    // Notifications: the API queues them, the notification worker delivers them (job scope).
    telegramClient: asClass(TelegramClient)
      .singleton()
      .disposer((client) => client.close()),
    notificationRepository: asClass(NotificationRepository).singleton(),
    notificationDispatcher: asClass(NotificationDispatcher).singleton(),
    chatPacer: asClass(ChatPacer).singleton(),
    deliveryPolicy: asFunction(({ config }: { config: Config }) => deliveryPolicyFrom(config)).singleton(),
    notificationDeliveryService: asClass(NotificationDeliveryService).scoped(),
    notificationSweepService: asClass(NotificationSweepService).scoped(),
    expiryReminderService: asClass(ExpiryReminderService).scoped(),
    notificationService: asClass(NotificationService).scoped(),
    broadcastService: asClass(BroadcastService).scoped(),
  });
  return container;
}

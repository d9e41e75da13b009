import type { RouteGroup } from './route-definition';
import { systemRoutes } from '../modules/system/system.routes';
import { planRoutes } from '../modules/plans/plans.routes';
import { authRoutes } from '../modules/auth/auth.routes';
import { twoFactorRoutes } from '../modules/two-factor/two-factor.routes';
import { oauthRoutes } from '../modules/oauth/oauth.routes';
import { adminRoutes } from '../modules/admins/admins.routes';
import { inviteRoutes } from '../modules/admins/invites.routes';
import { apiKeyRoutes } from '../modules/api-keys/api-keys.routes';
import { auditRoutes } from '../modules/audit/audit.routes';
import { vpnUserRoutes } from '../modules/vpn-users/vpn-users.routes';
import { serverRoutes } from '../modules/servers/servers.routes';
import { hostRoutes } from '../modules/hosts/hosts.routes';
import { monitoringRoutes } from '../modules/monitoring/monitoring.routes';
import { telegramRoutes } from '../modules/telegram/telegram.routes';
import { webhookRoutes } from '../modules/webhooks/webhooks.routes';
import { outgoingWebhookRoutes } from '../modules/outgoing-webhooks/outgoing-webhooks.routes';
import { paymentRoutes } from '../modules/payments/payments.routes';
import { panelRoutes } from '../modules/panel/panel-routes.table';
import { liveDocumentRoutes, liveRoutes } from '../modules/live/live.routes';
import { notificationRoutes } from '../modules/notifications/notifications.routes';
import { broadcastRoutes } from '../modules/notifications/broadcasts.routes';

/** Every route the API serves, by mount prefix: the router and the OpenAPI document read this. */
export const API_PREFIX = '/api/v1';

export const routeGroups: readonly RouteGroup[] = [
  { prefix: '', routes: [...systemRoutes, ...liveDocumentRoutes] },
  // First of the API: Express tries each route's pattern in order, and the webhook intake is the
  // route under the heaviest load (bursts from Crypto Pay and the panel); at the end of the list
  // it paid for matching every other route first (docs/PERFORMANCE.md, issue 9).
  { prefix: API_PREFIX, routes: webhookRoutes },
  {
    prefix: API_PREFIX,
    routes: [
      ...authRoutes,
      ...twoFactorRoutes,
      ...oauthRoutes,
      ...inviteRoutes,
      ...apiKeyRoutes,
      ...adminRoutes,
      ...auditRoutes,
      ...planRoutes,
      ...vpnUserRoutes,
      ...serverRoutes,
      ...hostRoutes,
      ...monitoringRoutes,
      ...telegramRoutes,
      ...paymentRoutes,
      ...outgoingWebhookRoutes,
      ...panelRoutes,
      ...liveRoutes,
      ...notificationRoutes,
      ...broadcastRoutes,
    ],
  },
];

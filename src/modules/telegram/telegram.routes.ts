import Joi from 'joi';
import type { Request } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import { SubscriptionExpiredError } from '../../shared/errors';
import { vpnUserSchema } from '../vpn-users/vpn-users.schemas';
import { subscriptionState } from './subscription-state';
import { idempotencyHeaders, telegramInvoiceBody } from '../payments/payments.schemas';
import { idempotencyKeyOf, INVOICE_RESPONSES, sendAnswer } from '../payments/payments.routes';

/** What the Telegram bot reads about the VPN user behind a Telegram account. */
const tags = ['telegram'];
const params = Joi.object({ telegram_id: Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required() });
const telegramIdOf = (req: Request) => Number((req.params as { telegram_id: string | number }).telegram_id);
const UPSTREAM = { 502: { description: 'Upstream service unavailable' }, 504: { description: 'Upstream service unavailable' } };

const subscriptionSchema = Joi.object({
  active: Joi.boolean(),
  expired: Joi.boolean(),
  status: Joi.string(),
  expires_at: Joi.date().iso(),
  days_left: Joi.number().integer(),
  traffic_limit_bytes: Joi.number().integer(),
  used_traffic_bytes: Joi.number().integer(),
});

export const telegramRoutes: readonly RouteDefinition[] = [
  {
    method: 'get',
    path: '/telegram/users/:telegram_id',
    summary: 'The VPN user of a Telegram account, with its subscription state',
    tags,
    access: 'user_read',
    request: { params },
    responses: {
      200: { description: 'The VPN user and its subscription', schema: vpnUserSchema.keys({ subscription: subscriptionSchema }) },
      404: { description: 'VPN user not found' },
      ...UPSTREAM,
    },
    handler: async (req, res) => {
      const { vpnUserService, clock } = req.container.cradle;
      const user = await vpnUserService.findByTelegramId(telegramIdOf(req));
      res.json({ ...user, subscription: subscriptionState(user, clock.now()) });
    },
  },
  {
    method: 'get',
    path: '/telegram/users/:telegram_id/config',
    summary: 'The subscription link of a Telegram account (402 once the subscription has expired)',
    tags,
    access: 'user_read',
    request: { params },
    responses: {
      200: { description: 'The link the VPN client imports', schema: Joi.object({ subscription_url: Joi.string() }) },
      402: { description: 'Subscription expired' },
      404: { description: 'VPN user not found' },
      ...UPSTREAM,
    },
    handler: async (req, res) => {
      const { vpnUserService, clock } = req.container.cradle;
      const user = await vpnUserService.findByTelegramId(telegramIdOf(req));
      if (subscriptionState(user, clock.now()).expired) throw new SubscriptionExpiredError('subscription expired');
      res.json({ subscription_url: user.subscription_url });
    },
  },
  {
    method: 'post',
    path: '/telegram/users/:telegram_id/invoice',
    summary: 'Create a Crypto Pay invoice for the VPN user of a Telegram account (as POST /payments/crypto/invoice)',
    description:
      'Never 402: paying is how an expired subscription is renewed, so an expired (or disabled) user may buy; only the actions that use the subscription itself (the config link) need it active. The VPN user is found by exact Telegram id, as the other bot routes do.',
    tags,
    access: 'subscription_create',
    request: { params, body: telegramInvoiceBody, headers: idempotencyHeaders },
    responses: { ...INVOICE_RESPONSES, 404: { description: 'VPN user not found / Plan not found (unknown or inactive)' } },
    handler: async (req, res) => {
      sendAnswer(res, await req.container.cradle.paymentService.createInvoiceForTelegramUser(telegramIdOf(req), req.body, idempotencyKeyOf(req)));
    },
  },
];

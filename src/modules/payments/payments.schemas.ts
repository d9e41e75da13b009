import Joi from 'joi';
import { pageQueryKeys, pageSchema } from '../../shared/pagination';
import { PRICING_DESCRIPTION } from './invoice-pricing';
import { PAYMENT_STATUSES } from './payments.repository';

const vpnUserId = Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER);
const planId = Joi.string().guid({ version: 'uuidv4' });
// Crypto Pay's asset codes (USDT, TON, BTC...); which ones it accepts today is its answer to give.
const asset = Joi.string().uppercase().pattern(/^[A-Z0-9]{2,10}$/, 'asset code').description('Crypto asset to pay in (USDT, TON, BTC...)');

export const idempotencyHeaders = Joi.object({
  'idempotency-key': Joi.string()
    .min(1)
    .max(255)
    .pattern(/^[\x20-\x7E]+$/, 'printable ASCII')
    .description(
      'Optional. A retry with the same key (same caller) gets the first answer and makes no second invoice; the same key with another request is 422. A request arriving while the first with its key still runs waits for that answer (409 if it does not come in time). Only successes are kept: after a failed attempt the key may be used again.',
    ),
});

export const createInvoiceBody = Joi.object({ user_id: vpnUserId.required(), plan_id: planId.required(), asset: asset.required() }).description(PRICING_DESCRIPTION);

export const telegramInvoiceBody = Joi.object({ plan_id: planId.required(), asset: asset.required() }).description(PRICING_DESCRIPTION);

export const invoiceAnswerSchema = Joi.object({
  payment_id: Joi.string().guid(),
  invoice_id: Joi.string().description('Crypto Pay invoice id'),
  payment_url: Joi.string().uri().description('Where the user pays (the Crypto Bot link)'),
  amount: Joi.string().description('Decimal as a string: the plan price, in `currency`'),
  currency: Joi.string().description('The plan currency: the asset itself (crypto invoice) or a fiat currency (fiat invoice)'),
  asset: Joi.string().description('The asset the user pays in'),
  status: Joi.string().valid('pending'),
  expires_at: Joi.date().iso().description('When the invoice stops being payable'),
});

export const paymentIdParams = Joi.object({ id: Joi.string().guid({ version: 'uuidv4' }).required() });

export const listPaymentsQuery = Joi.object({
  ...pageQueryKeys,
  user_id: vpnUserId,
  status: Joi.string().valid(...PAYMENT_STATUSES),
  from: Joi.date().iso().description('Created at or after (ISO 8601)'),
  to: Joi.date().iso().min(Joi.ref('from')).description('Created at or before (ISO 8601); not before `from`'),
});

export const paymentSchema = Joi.object({
  id: Joi.string().guid(),
  user_id: Joi.number().integer().description('Remnawave user id'),
  plan_id: Joi.string().guid(),
  provider: Joi.string(),
  invoice_id: Joi.string().allow(null).description('Crypto Pay invoice id; null when making the invoice failed'),
  amount: Joi.string().description('Decimal as a string, in `currency`'),
  currency: Joi.string(),
  asset: Joi.string(),
  status: Joi.string().valid(...PAYMENT_STATUSES),
  subscription_days: Joi.number().integer(),
  payment_url: Joi.string().allow(null),
  expires_at: Joi.date().iso().allow(null),
  paid_at: Joi.date().iso().allow(null),
  subscription_applied_at: Joi.date().iso().allow(null),
  failure_reason: Joi.string()
    .allow(null)
    .description('Why a failed payment failed: `provisioning_failed` (paid, not applied: retry it), or the code of the invoice call that failed'),
  created_by: Joi.string().guid().allow(null).description('The admin who asked for the invoice; null for an API key'),
  created_at: Joi.date().iso(),
  updated_at: Joi.date().iso(),
});

export const paymentPageSchema = pageSchema(paymentSchema);

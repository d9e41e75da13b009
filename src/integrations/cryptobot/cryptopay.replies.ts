import Joi from 'joi';

/**
 * The fields of Crypto Pay replies this service reads (help.crypt.bot/crypto-pay-api), checked by
 * hand-written Joi schemas. Unknown fields pass: Crypto Pay adds fields between versions (swap_*
 * in 1.5.1); a missing or mistyped field we read makes the reply garbage, an upstream failure.
 */
export const INVOICE_STATUSES = ['active', 'paid', 'expired'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** An invoice as Crypto Pay sends it (snake_case, invoice_id an integer, amounts as strings). */
export interface RawInvoice {
  invoice_id: number;
  hash: string;
  currency_type: 'crypto' | 'fiat';
  asset?: string;
  fiat?: string;
  amount: string;
  bot_invoice_url: string;
  mini_app_invoice_url?: string;
  web_app_invoice_url?: string;
  status: InvoiceStatus;
  created_at: string;
  paid_at?: string;
  expiration_date?: string;
  payload?: string;
  paid_asset?: string;
  paid_amount?: string;
}

const decimal = Joi.string().pattern(/^\d+(\.\d+)?$/);
const isoDate = Joi.string().isoDate();

export const rawInvoiceSchema = Joi.object({
  invoice_id: Joi.number().integer().positive().required(),
  hash: Joi.string().min(1).required(),
  currency_type: Joi.string().valid('crypto', 'fiat').required(),
  asset: Joi.string().when('currency_type', { is: 'crypto', then: Joi.required() }),
  fiat: Joi.string().when('currency_type', { is: 'fiat', then: Joi.required() }),
  amount: decimal.required(),
  bot_invoice_url: Joi.string().uri().required(),
  mini_app_invoice_url: Joi.string().uri(),
  web_app_invoice_url: Joi.string().uri(),
  status: Joi.string()
    .valid(...INVOICE_STATUSES)
    .required(),
  created_at: isoDate.required(),
  paid_at: isoDate,
  expiration_date: isoDate,
  payload: Joi.string().allow(''),
  paid_asset: Joi.string(),
  paid_amount: decimal,
}).unknown(true);

export const invoiceListSchema = Joi.object({ items: Joi.array().items(rawInvoiceSchema).required() }).unknown(true);

export interface RawApp {
  app_id: number;
  name: string;
  payment_processing_bot_username: string;
}

export const appSchema = Joi.object({
  app_id: Joi.number().integer().required(),
  name: Joi.string().allow('').required(),
  payment_processing_bot_username: Joi.string().required(),
}).unknown(true);

/** `{ok: true, result}` or `{ok: false, error: {code, name}}`: every answer, whatever its HTTP status. */
export const envelopeSchema = Joi.alternatives(
  Joi.object({ ok: Joi.valid(true).required(), result: Joi.any().required() }).unknown(true),
  Joi.object({
    ok: Joi.valid(false).required(),
    error: Joi.object({ code: Joi.number().integer().required(), name: Joi.string().required() }).unknown(true).required(),
  }).unknown(true),
).required();

export type Envelope = { ok: true; result: unknown } | { ok: false; error: { code: number; name: string } };

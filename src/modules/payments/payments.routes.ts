import type { Request, Response } from 'express';
import type { RouteDefinition } from '../../http/route-definition';
import type { PageRequest } from '../../shared/pagination';
import type { StoredAnswer } from './idempotency.repository';
import type { PaymentFilters } from './payments.repository';
import { createInvoiceBody, idempotencyHeaders, invoiceAnswerSchema, listPaymentsQuery, paymentIdParams, paymentPageSchema, paymentSchema } from './payments.schemas';

const tags = ['payments'];
const UPSTREAM = { 502: { description: 'Upstream service unavailable' }, 504: { description: 'Upstream service unavailable' } };

/** Shared with the Telegram route: the invoice answers and failures of both. */
export const INVOICE_RESPONSES = {
  201: { description: 'Invoice created, payment pending (a retry with the same Idempotency-Key gets this again)', schema: invoiceAnswerSchema },
  404: { description: 'User not found / Plan not found (unknown or inactive)' },
  409: { description: 'A request with this idempotency key is still in progress' },
  422: { description: 'Request validation failed; the payment provider refused the asset, amount or invoice; or Idempotency key reused with a different request' },
  ...UPSTREAM,
};

export const idempotencyKeyOf = (req: Request): string | undefined => req.get('idempotency-key');

export const sendAnswer = (res: Response, answer: StoredAnswer): void => {
  res.status(answer.status).json(answer.body);
};

export const paymentRoutes: readonly RouteDefinition[] = [
  {
    method: 'post',
    path: '/payments/crypto/invoice',
    summary: 'Create a Crypto Pay invoice for a VPN user and a plan, with its pending payment',
    description: 'Writes the pending payment first, then the invoice (payload `payment:<payment_id>`); a failed invoice call leaves the payment `failed`.',
    tags,
    access: 'payment_create',
    request: { body: createInvoiceBody, headers: idempotencyHeaders },
    responses: INVOICE_RESPONSES,
    handler: async (req, res) => {
      sendAnswer(res, await req.container.cradle.paymentService.createInvoice(req.body, idempotencyKeyOf(req)));
    },
  },
  {
    method: 'get',
    path: '/payments',
    summary: 'List payments, newest first',
    tags,
    access: 'payment_read',
    request: { query: listPaymentsQuery },
    responses: { 200: { description: 'Payments', schema: paymentPageSchema } },
    handler: async (req, res) => {
      const { page, page_size, ...filters } = req.query as unknown as PageRequest & PaymentFilters;
      res.json(await req.container.cradle.paymentService.list(filters, { page, page_size }));
    },
  },
  {
    method: 'get',
    path: '/payments/:id',
    summary: 'One payment',
    tags,
    access: 'payment_read',
    request: { params: paymentIdParams },
    responses: { 200: { description: 'The payment', schema: paymentSchema }, 404: { description: 'Payment not found' } },
    handler: async (req, res) => {
      res.json(await req.container.cradle.paymentService.get((req.params as { id: string }).id));
    },
  },
  {
    method: 'post',
    path: '/payments/:id/retry',
    summary: 'Apply again a payment received but not provisioned (status failed, paid), once the cause is fixed',
    description: 'The same idempotent settlement as a webhook: the expiry stored on the payment is set, never added twice. Audited.',
    tags,
    access: 'payment_create',
    request: { params: paymentIdParams },
    responses: {
      200: { description: 'The payment, completed', schema: paymentSchema },
      404: { description: 'Payment not found' },
      409: { description: 'Only a paid payment that failed to apply can be retried' },
      502: { description: 'Upstream service unavailable (the VPN panel failed again; the payment stays failed)' },
    },
    handler: async (req, res) => {
      res.json(await req.container.cradle.paymentService.retry((req.params as { id: string }).id));
    },
  },
];

import type Joi from 'joi';
import { request, type Agent } from 'undici';
import { BrokenCircuitError, CircuitState, type CircuitBreakerPolicy, type RetryPolicy } from 'cockatiel';
import type { Config } from '../../config';
import { TransientUpstreamError, upstreamPolicies } from '../upstream-policies';
import type { Logger } from '../../infrastructure/logger';
import type { Metrics } from '../../infrastructure/metrics';
import type { RemnawaveResilience } from '../remnawave/resilience';
import { CircuitOpenError, PaymentRejectedError, UpstreamTimeoutError, UpstreamUnavailableError, type PAYMENT_REJECTIONS } from '../../shared/errors';
import { appSchema, envelopeSchema, invoiceListSchema, rawInvoiceSchema, type Envelope, type InvoiceStatus, type RawApp, type RawInvoice } from './cryptopay.replies';

/**
 * The Crypto Pay API (help.crypt.bot/crypto-pay-api) as this service uses it: `/api/<method>`
 * under CRYPTOBOT_URL, the app token in `Crypto-Pay-API-Token`, every answer an `{ok, result}` /
 * `{ok: false, error: {code, name}}` envelope. One singleton per process: it owns the keep-alive
 * socket pool and the circuit breaker, like the Remnawave client.
 *
 * Reads (getInvoices, getMe) are retried after fast failures; createInvoice never is: a lost
 * answer may still have created an invoice, and a second one would be a second bill.
 */
export const SERVICE = 'Crypto Pay';
const MAX_REPLY_BYTES = 1024 * 1024;
/** Crypto Pay's limit on `getInvoices` `count`. */
export const MAX_INVOICES_PER_CALL = 1000;

/** Same knobs as the panel client's, with their own values (`cryptoPayResilience` in the container). */
export type CryptoPayResilience = RemnawaveResilience;

export const DEFAULT_CRYPTOPAY_RESILIENCE: CryptoPayResilience = Object.freeze({
  poolSize: 8,
  keepAliveMs: 30_000,
  retries: 2,
  retryBaseDelayMs: 200,
  retryMaxDelayMs: 2_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 10_000,
});

interface InvoiceBase {
  amount: string;
  description: string;
  /** Ours, given back in webhooks and getInvoices; at most 4 kB. */
  payload: string;
  expiresInSeconds: number;
}

export type NewInvoice = (InvoiceBase & { currencyType: 'crypto'; asset: string }) | (InvoiceBase & { currencyType: 'fiat'; fiat: string; acceptedAssets: readonly string[] });

/** An invoice in our terms: the id as a string (it is an identifier, and our column is text). */
export interface Invoice {
  invoiceId: string;
  status: InvoiceStatus;
  currencyType: 'crypto' | 'fiat';
  asset: string | null;
  fiat: string | null;
  amount: string;
  botInvoiceUrl: string;
  miniAppInvoiceUrl: string | null;
  webAppInvoiceUrl: string | null;
  createdAt: Date;
  paidAt: Date | null;
  expiresAt: Date | null;
  payload: string | null;
  paidAsset: string | null;
  paidAmount: string | null;
}

export interface InvoiceQuery {
  invoiceIds?: readonly string[];
  status?: InvoiceStatus;
  offset?: number;
  count?: number;
}

export interface CryptoPayApp {
  appId: number;
  name: string;
  botUsername: string;
}

type Method = 'createInvoice' | 'getInvoices' | 'getMe';

/** Which fixed sentence a refusal of createInvoice becomes, from the error's name. */
function rejectionReason(name: string): keyof typeof PAYMENT_REJECTIONS {
  if (/ASSET|FIAT|CURRENCY/.test(name)) return 'asset';
  if (/AMOUNT/.test(name)) return 'amount';
  return 'invoice';
}


export const toInvoice = (raw: RawInvoice): Invoice => ({
  invoiceId: String(raw.invoice_id),
  status: raw.status,
  currencyType: raw.currency_type,
  asset: raw.asset ?? null,
  fiat: raw.fiat ?? null,
  amount: raw.amount,
  botInvoiceUrl: raw.bot_invoice_url,
  miniAppInvoiceUrl: raw.mini_app_invoice_url ?? null,
  webAppInvoiceUrl: raw.web_app_invoice_url ?? null,
  createdAt: new Date(raw.created_at),
  paidAt: raw.paid_at ? new Date(raw.paid_at) : null,
  expiresAt: raw.expiration_date ? new Date(raw.expiration_date) : null,
  payload: raw.payload ?? null,
  paidAsset: raw.paid_asset ?? null,
  paidAmount: raw.paid_amount ?? null,
});

export class CryptoPayClient {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retryPolicy: RetryPolicy;
  private readonly logger: Logger;
  private readonly metrics: Metrics;

  constructor({ config, cryptoPayResilience, logger, metrics }: { config: Config; cryptoPayResilience: CryptoPayResilience; logger: Logger; metrics: Metrics }) {
    this.baseUrl = config.cryptobot.url.replace(/\/+$/, '');
    this.token = config.cryptobot.token;
    this.timeoutMs = config.outboundTimeoutMs;
    this.logger = logger;
    this.metrics = metrics;
    ({ agent: this.agent, breaker: this.breaker, retryPolicy: this.retryPolicy } = upstreamPolicies(SERVICE, cryptoPayResilience, this.timeoutMs, logger));
  }

  get breakerState(): CircuitState {
    return this.breaker.state;
  }

  async createInvoice(invoice: NewInvoice): Promise<Invoice> {
    const common = {
      amount: invoice.amount,
      description: invoice.description,
      payload: invoice.payload,
      expires_in: invoice.expiresInSeconds,
      allow_comments: false,
      allow_anonymous: true,
    };
    const params =
      invoice.currencyType === 'crypto'
        ? { currency_type: 'crypto', asset: invoice.asset, ...common }
        : { currency_type: 'fiat', fiat: invoice.fiat, accepted_assets: invoice.acceptedAssets.join(','), ...common };
    return toInvoice(await this.call<RawInvoice>('createInvoice', params, rawInvoiceSchema));
  }

  /** Invoices by id (at most MAX_INVOICES_PER_CALL at once) or by status, as Crypto Pay holds them now. */
  async getInvoices(query: InvoiceQuery): Promise<Invoice[]> {
    const params: Record<string, string | number> = {};
    if (query.invoiceIds) {
      // Crypto Pay would list every invoice for an empty id list: asked for none, none is the answer.
      if (query.invoiceIds.length === 0) return [];
      params.invoice_ids = query.invoiceIds.join(',');
    }
    if (query.status) params.status = query.status;
    if (query.offset !== undefined) params.offset = query.offset;
    params.count = query.count ?? Math.min(MAX_INVOICES_PER_CALL, query.invoiceIds?.length ?? 100);
    const reply = await this.call<{ items: RawInvoice[] }>('getInvoices', params, invoiceListSchema);
    return reply.items.map(toInvoice);
  }

  /** The app behind our token: a cheap authenticated call, for health checks. */
  async getMe(): Promise<CryptoPayApp> {
    const app = await this.call<RawApp>('getMe', {}, appSchema);
    return { appId: app.app_id, name: app.name, botUsername: app.payment_processing_bot_username };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async call<T>(method: Method, params: Record<string, unknown>, reply: Joi.Schema): Promise<T> {
    const idempotent = method !== 'createInvoice';
    // As in the panel client: callers during the half-open probe fail at once instead of queueing behind it.
    if (this.breaker.state === CircuitState.HalfOpen) throw this.refusedByBreaker();
    try {
      return await this.breaker.execute(() => (idempotent ? this.retryPolicy.execute(() => this.attempt<T>(method, params, reply)) : this.attempt<T>(method, params, reply)));
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.refusedByBreaker();
      throw error;
    }
  }

  private refusedByBreaker(): CircuitOpenError {
    this.metrics.upstreamCircuitOpen.inc({ service: SERVICE });
    return new CircuitOpenError(SERVICE);
  }

  /** One bounded attempt: writes are POSTed as JSON, reads sent as a query string (Crypto Pay takes both). */
  private async attempt<T>(method: Method, params: Record<string, unknown>, reply: Joi.Schema): Promise<T> {
    const url = new URL(`${this.baseUrl}/api/${method}`);
    const headers: Record<string, string> = { 'crypto-pay-api-token': this.token, accept: 'application/json' };
    let body: string | undefined;
    if (method === 'createInvoice') {
      body = JSON.stringify(params);
      headers['content-type'] = 'application/json';
    } else {
      for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await request(url, { method: body === undefined ? 'GET' : 'POST', headers, body, signal, dispatcher: this.agent });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(SERVICE, { cause: error });
      throw new TransientUpstreamError(SERVICE, `${method} failed`, { cause: error });
    }
    if (status >= 500) throw new TransientUpstreamError(SERVICE, `${method} answered HTTP ${status}`);
    if (Buffer.byteLength(text) > MAX_REPLY_BYTES) throw new UpstreamUnavailableError(SERVICE, `${method}: reply too large`);
    const envelope = envelopeSchema.validate(parseOrUndefined(text));
    if (envelope.error) throw new UpstreamUnavailableError(SERVICE, `${method}: HTTP ${status} without an {ok} envelope`);
    const value = envelope.value as Envelope;
    if (!value.ok) throw this.refusal(method, status, value.error);
    const checked = reply.validate(value.result);
    if (checked.error) throw new UpstreamUnavailableError(SERVICE, `${method}: unexpected reply (${checked.error.message.slice(0, 200)})`);
    return checked.value as T;
  }

  private refusal(method: Method, status: number, error: { code: number; name: string }): Error {
    const described = `${method}: HTTP ${status} ${error.code} ${error.name.slice(0, 100)}`;
    if (error.code === 401 || status === 401) {
      // Our token is wrong or revoked: nothing the caller can fix, everything the operator must.
      this.logger.error('Crypto Pay refused the app token (CRYPTOBOT_TOKEN)', { method, status });
      return new UpstreamUnavailableError(SERVICE, described);
    }
    // 400 is Crypto Pay's validation of what we sent: only createInvoice sends the caller's values.
    if (method === 'createInvoice' && (error.code === 400 || status === 400)) return new PaymentRejectedError(rejectionReason(error.name), described);
    return new UpstreamUnavailableError(SERVICE, described);
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

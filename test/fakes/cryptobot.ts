import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * A local Crypto Pay (help.crypt.bot/crypto-pay-api) for the methods our client calls, held in
 * memory: `/api/createInvoice`, `/api/getInvoices`, `/api/getMe`, by GET (query string) or POST
 * (JSON body), the app token in `Crypto-Pay-API-Token` (wrong or missing: HTTP 401
 * `{ok:false,error:{code:401,name:'UNAUTHORIZED'}}`), answers in the `{ok, result}` envelope and
 * its validation errors as HTTP 400 `{ok:false,error:{code:400,name:'ASSET_INVALID'...}}`.
 *
 * `pay()` marks an invoice paid and delivers the webhook the way Crypto Pay does: one JSON body
 * `{update_id, update_type:'invoice_paid', request_date, payload:<invoice>}` signed in the
 * `crypto-pay-api-signature` header over its raw bytes. `resend()` delivers it again (Crypto Pay
 * retries, and its update_id is not unique), also re-serialised with other whitespace.
 */
export const FAKE_CRYPTOPAY_TOKEN = '12345:AAtestTokenForSignatureVectors000000';

export const CRYPTO_ASSETS = ['USDT', 'TON', 'BTC', 'ETH', 'LTC', 'BNB', 'TRX', 'USDC'] as const;
export const FIAT_CURRENCIES = ['USD', 'EUR', 'RUB', 'BYN', 'UAH', 'GBP', 'CNY', 'KZT', 'UZS', 'GEL', 'TRY', 'AMD', 'THB', 'INR', 'BRL', 'IDR', 'AZN', 'AED', 'PLN', 'ILS'] as const;
const MAX_EXPIRES_IN = 2_678_400;

/** hex HMAC-SHA256 of the raw body, keyed with the raw 32-byte SHA-256 of the app token. */
export function signCryptoPayBody(token: string, rawBody: string | Buffer): string {
  const key = createHash('sha256').update(token).digest();
  return createHmac('sha256', key).update(rawBody).digest('hex');
}

export type CryptoPayFailure = 'down' | 'server_error' | 'malformed' | 'bad_shape' | 'hang' | { slowMs: number } | { reject: string };

export interface FakeInvoice {
  invoice_id: number;
  hash: string;
  currency_type: 'crypto' | 'fiat';
  asset?: string;
  fiat?: string;
  accepted_assets?: string[];
  amount: string;
  bot_invoice_url: string;
  mini_app_invoice_url: string;
  web_app_invoice_url: string;
  description?: string;
  status: 'active' | 'paid' | 'expired';
  created_at: string;
  allow_comments: boolean;
  allow_anonymous: boolean;
  expiration_date?: string;
  payload?: string;
  paid_asset?: string;
  paid_amount?: string;
  fee_asset?: string;
  fee_amount?: string;
  paid_usd_rate?: string;
  paid_anonymously?: boolean;
  paid_at?: string;
}

export interface CryptoPayRequest {
  method: string;
  apiMethod: string;
  params: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

export interface Delivery {
  updateId: number;
  rawBody: string;
  signature: string;
  /** Our webhook endpoint's answer. */
  status: number;
  responseBody: string;
}

export interface DeliveryOptions {
  webhookUrl: string;
  /** Another update_id than the last delivery's (Crypto Pay's are not unique: the default keeps it). */
  updateId?: number;
  /** Re-serialise the same update with other whitespace, signed over the new bytes. */
  spaced?: boolean;
  /** Send this signature instead of the right one. */
  signature?: string;
}

type Answer = { status: number; body: unknown };

const error = (code: number, name: string): Answer => ({ status: code, body: { ok: false, error: { code, name } } });
const ok = (result: unknown): Answer => ({ status: 200, body: { ok: true, result } });

export class FakeCryptoPay {
  readonly token: string;
  readonly invoices = new Map<number, FakeInvoice>();
  readonly requests: CryptoPayRequest[] = [];
  readonly deliveries: Delivery[] = [];
  private readonly lastDelivery = new Map<number, { update: Record<string, unknown>; updateId: number }>();
  private nextInvoiceId = 528_890;
  private nextUpdateId = 871;
  private readonly failures: CryptoPayFailure[] = [];
  private persistentFailure: CryptoPayFailure | undefined;
  private readonly hanging = new Set<ServerResponse>();
  private readonly server: Server;

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? FAKE_CRYPTOPAY_TOKEN;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The environment an app under test needs to talk to this fake. */
  env(): Record<string, string> {
    return { CRYPTOBOT_URL: this.url, CRYPTOBOT_TOKEN: this.token };
  }

  async stop(): Promise<void> {
    this.releaseHanging();
    await new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** The next `times` requests fail this way. */
  failNext(mode: CryptoPayFailure, times = 1): void {
    for (let i = 0; i < times; i += 1) this.failures.push(mode);
  }

  /** Every request fails this way until `heal()`. */
  failAlways(mode: CryptoPayFailure): void {
    this.persistentFailure = mode;
  }

  heal(): void {
    this.failures.length = 0;
    this.persistentFailure = undefined;
    this.releaseHanging();
  }

  reset(): void {
    this.heal();
    this.invoices.clear();
    this.requests.length = 0;
    this.deliveries.length = 0;
    this.lastDelivery.clear();
  }

  /** Requests received for one API method (`createInvoice`). */
  count(apiMethod: string): number {
    return this.requests.filter((r) => r.apiMethod === apiMethod).length;
  }

  invoice(invoiceId: number | string): FakeInvoice {
    const invoice = this.invoices.get(Number(invoiceId));
    if (!invoice) throw new Error(`fake Crypto Pay has no invoice ${invoiceId}`);
    return invoice;
  }

  /** The invoice is paid (in its asset, or the first accepted one) and the webhook delivered. */
  async pay(invoiceId: number | string, options: DeliveryOptions): Promise<Delivery> {
    const invoice = this.invoice(invoiceId);
    if (invoice.status !== 'active') throw new Error(`invoice ${invoiceId} is ${invoice.status}`);
    const paidAsset = invoice.asset ?? invoice.accepted_assets?.[0] ?? 'USDT';
    Object.assign(invoice, {
      status: 'paid',
      paid_asset: paidAsset,
      // At the fake's fixed rate of 1.00 a fiat amount is paid as the same figure in the asset.
      paid_amount: invoice.amount,
      fee_asset: paidAsset,
      fee_amount: '0.03',
      paid_usd_rate: '1.00',
      paid_anonymously: false,
      paid_at: new Date().toISOString(),
    } satisfies Partial<FakeInvoice>);
    const updateId = options.updateId ?? this.nextUpdateId++;
    const update = { update_id: updateId, update_type: 'invoice_paid', request_date: new Date().toISOString(), payload: { ...invoice } };
    this.lastDelivery.set(invoice.invoice_id, { update, updateId });
    return this.deliver(JSON.stringify(update), updateId, options);
  }

  /** The last webhook of the invoice again, as Crypto Pay's retries send it. */
  async resend(invoiceId: number | string, options: DeliveryOptions): Promise<Delivery> {
    const last = this.lastDelivery.get(Number(invoiceId));
    if (!last) throw new Error(`invoice ${invoiceId} was never paid`);
    const updateId = options.updateId ?? last.updateId;
    const update = { ...last.update, update_id: updateId };
    const rawBody = options.spaced ? JSON.stringify(update, null, 2) : JSON.stringify(update);
    return this.deliver(rawBody, updateId, options);
  }

  /** The invoice passes its expiration: Crypto Pay sends no webhook for that. */
  expire(invoiceId: number | string): void {
    const invoice = this.invoice(invoiceId);
    invoice.status = 'expired';
  }

  private async deliver(rawBody: string, updateId: number, options: DeliveryOptions): Promise<Delivery> {
    const signature = options.signature ?? signCryptoPayBody(this.token, rawBody);
    const response = await request(options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'crypto-pay-api-signature': signature },
      body: rawBody,
    });
    const delivery = { updateId, rawBody, signature, status: response.statusCode, responseBody: await response.body.text() };
    this.deliveries.push(delivery);
    return delivery;
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const apiMethod = url.pathname.replace(/^\/api\//, '');
    const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    if (text) {
      try {
        Object.assign(params, JSON.parse(text) as Record<string, unknown>);
      } catch {
        send(res, error(400, 'JSON_INVALID'));
        return;
      }
    }
    this.requests.push({ method: req.method ?? '', apiMethod, params, headers: req.headers });
    const failure = this.failures.shift() ?? this.persistentFailure;
    if (failure !== undefined && this.fail(failure, req, res)) return;
    if (failure !== undefined && typeof failure === 'object' && 'slowMs' in failure) {
      await new Promise((resolve) => setTimeout(resolve, failure.slowMs));
      if (res.destroyed) return;
    }
    if (!url.pathname.startsWith('/api/') || (req.method !== 'GET' && req.method !== 'POST')) {
      send(res, error(404, 'NOT_FOUND'));
      return;
    }
    if (req.headers['crypto-pay-api-token'] !== this.token) {
      send(res, error(401, 'UNAUTHORIZED'));
      return;
    }
    send(res, this.route(apiMethod, params));
  }

  /** Answers with the failure; false for the ones after which the request is served (slow). */
  private fail(failure: CryptoPayFailure, req: IncomingMessage, res: ServerResponse): boolean {
    if (typeof failure === 'object') {
      if ('reject' in failure) {
        send(res, error(400, failure.reject));
        return true;
      }
      return false;
    }
    if (failure === 'down') {
      req.socket.destroy();
    } else if (failure === 'hang') {
      this.hanging.add(res);
    } else if (failure === 'server_error') {
      res.writeHead(500, { 'Content-Type': 'text/html' }).end('<html>500 Internal Server Error at pay-db.internal</html>');
    } else if (failure === 'malformed') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true,"result":');
    } else {
      send(res, ok({ invoice_id: 'not-a-number', status: 'weird' }));
    }
    return true;
  }

  private route(apiMethod: string, params: Record<string, unknown>): Answer {
    if (apiMethod === 'getMe') return ok({ app_id: 4242, name: 'CyberVPN test app', payment_processing_bot_username: 'CryptoTestnetBot' });
    if (apiMethod === 'createInvoice') return this.createInvoice(params);
    if (apiMethod === 'getInvoices') return this.getInvoices(params);
    return error(405, 'METHOD_NOT_FOUND');
  }

  private createInvoice(params: Record<string, unknown>): Answer {
    const currencyType = params.currency_type ?? 'crypto';
    if (currencyType !== 'crypto' && currencyType !== 'fiat') return error(400, 'CURRENCY_TYPE_INVALID');
    const fields: Partial<FakeInvoice> = { currency_type: currencyType };
    if (currencyType === 'crypto') {
      if (!CRYPTO_ASSETS.includes(params.asset as (typeof CRYPTO_ASSETS)[number])) return error(400, 'ASSET_INVALID');
      fields.asset = params.asset as string;
    } else {
      if (!FIAT_CURRENCIES.includes(params.fiat as (typeof FIAT_CURRENCIES)[number])) return error(400, 'FIAT_INVALID');
      fields.fiat = params.fiat as string;
      if (params.accepted_assets !== undefined) {
        // A comma-separated string, as the API documents it (not a JSON array).
        if (typeof params.accepted_assets !== 'string') return error(400, 'ACCEPTED_ASSETS_INVALID');
        const accepted = params.accepted_assets.split(',');
        if (!accepted.every((asset) => CRYPTO_ASSETS.includes(asset as (typeof CRYPTO_ASSETS)[number]))) return error(400, 'ACCEPTED_ASSETS_INVALID');
        fields.accepted_assets = accepted;
      }
    }
    // The API documents amount as a string ("125.50"); a JSON number is a client that read it wrong.
    if (typeof params.amount !== 'string' || !/^\d+(\.\d{1,18})?$/.test(params.amount) || Number(params.amount) <= 0) return error(400, 'AMOUNT_INVALID');
    if (params.description !== undefined && (typeof params.description !== 'string' || params.description.length > 1024)) return error(400, 'DESCRIPTION_TOO_LONG');
    if (params.payload !== undefined && (typeof params.payload !== 'string' || Buffer.byteLength(params.payload) > 4096)) return error(400, 'PAYLOAD_TOO_LONG');
    const expiresIn = params.expires_in === undefined ? undefined : Number(params.expires_in);
    if (expiresIn !== undefined && (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN)) return error(400, 'EXPIRES_IN_INVALID');
    const id = this.nextInvoiceId++;
    const hash = randomBytes(9).toString('base64url');
    const now = Date.now();
    const invoice: FakeInvoice = {
      invoice_id: id,
      hash,
      currency_type: currencyType,
      ...fields,
      amount: params.amount,
      bot_invoice_url: `https://t.me/CryptoTestnetBot?start=${hash}`,
      mini_app_invoice_url: `https://t.me/CryptoTestnetBot/app?startapp=invoice-${hash}`,
      web_app_invoice_url: `https://testnet-app.send.tg/invoices/${hash}`,
      status: 'active',
      created_at: new Date(now).toISOString(),
      allow_comments: params.allow_comments !== false && params.allow_comments !== 'false',
      allow_anonymous: params.allow_anonymous !== false && params.allow_anonymous !== 'false',
    };
    if (typeof params.description === 'string') invoice.description = params.description;
    if (typeof params.payload === 'string') invoice.payload = params.payload;
    if (expiresIn !== undefined) invoice.expiration_date = new Date(now + expiresIn * 1000).toISOString();
    this.invoices.set(id, invoice);
    return ok(invoice);
  }

  private getInvoices(params: Record<string, unknown>): Answer {
    const count = params.count === undefined ? 100 : Number(params.count);
    if (!Number.isInteger(count) || count < 1 || count > 1000) return error(400, 'COUNT_INVALID');
    const offset = params.offset === undefined ? 0 : Number(params.offset);
    if (!Number.isInteger(offset) || offset < 0) return error(400, 'OFFSET_INVALID');
    let items = [...this.invoices.values()].reverse();
    if (params.invoice_ids !== undefined) {
      const ids = new Set(String(params.invoice_ids).split(',').map(Number));
      items = items.filter((invoice) => ids.has(invoice.invoice_id));
    }
    if (params.status !== undefined) items = items.filter((invoice) => invoice.status === params.status);
    if (params.asset !== undefined) items = items.filter((invoice) => invoice.asset === params.asset);
    if (params.fiat !== undefined) items = items.filter((invoice) => invoice.fiat === params.fiat);
    return ok({ items: items.slice(offset, offset + count) });
  }
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { FakeCryptoPay, signCryptoPayBody } from '../../fakes/cryptobot';

interface Received {
  headers: IncomingMessage['headers'];
  rawBody: string;
}

/** The fake speaks Crypto Pay's protocol, and delivers webhooks byte-exactly as Crypto Pay does. */
describe('fake Crypto Pay protocol', function () {
  this.timeout(20_000);
  let fake: FakeCryptoPay;
  let receiver: Server;
  let webhookUrl: string;
  const received: Received[] = [];

  before(async () => {
    fake = await new FakeCryptoPay().start();
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/webhooks/cryptobot`;
  });
  after(async () => {
    await fake.stop();
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
  });
  beforeEach(() => {
    fake.reset();
    received.length = 0;
  });

  const call = async (method: string, options: { query?: string; body?: unknown; token?: string | null; httpMethod?: 'GET' | 'POST' | 'PUT' } = {}) => {
    const headers: Record<string, string> = {};
    if (options.token !== null) headers['crypto-pay-api-token'] = options.token ?? fake.token;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(`${fake.url}/api/${method}${options.query ?? ''}`, {
      method: options.httpMethod ?? (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  };
  const newInvoice = async () => (await call('createInvoice', { body: { asset: 'USDT', amount: '4.99', payload: 'payment:abc', expires_in: 600 } })).body.result as { invoice_id: number };

  it('when the token is wrong or missing, then HTTP 401 {ok:false,error:{code:401,name:UNAUTHORIZED}}', async () => {
    for (const token of ['wrong', null]) {
      expect(await call('getMe', { token })).to.deep.equal({ status: 401, body: { ok: false, error: { code: 401, name: 'UNAUTHORIZED' } } });
    }
  });

  it('when createInvoice comes by GET with a query string, then it works as by POST', async () => {
    const res = await call('createInvoice', { query: '?asset=TON&amount=1.5&expires_in=60' });
    expect(res.status).to.equal(200);
    expect(res.body.ok).to.equal(true);
    expect(res.body.result).to.include({ asset: 'TON', amount: '1.5', status: 'active', currency_type: 'crypto' });
  });

  it('when createInvoice gets bad values, then HTTP 400 with Crypto Pay style error names', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ asset: 'DOGE', amount: '1' }, 'ASSET_INVALID'],
      [{ asset: 'USDT', amount: 1 }, 'AMOUNT_INVALID'],
      [{ asset: 'USDT', amount: '0' }, 'AMOUNT_INVALID'],
      [{ currency_type: 'fiat', fiat: 'XXX', amount: '1' }, 'FIAT_INVALID'],
      [{ currency_type: 'fiat', fiat: 'USD', accepted_assets: ['USDT'], amount: '1' }, 'ACCEPTED_ASSETS_INVALID'],
      [{ currency_type: 'fiat', fiat: 'USD', accepted_assets: 'USDT,DOGE', amount: '1' }, 'ACCEPTED_ASSETS_INVALID'],
      [{ currency_type: 'barter', amount: '1' }, 'CURRENCY_TYPE_INVALID'],
      [{ asset: 'USDT', amount: '1', payload: 'x'.repeat(4097) }, 'PAYLOAD_TOO_LONG'],
      [{ asset: 'USDT', amount: '1', description: 'x'.repeat(1025) }, 'DESCRIPTION_TOO_LONG'],
      [{ asset: 'USDT', amount: '1', expires_in: 0 }, 'EXPIRES_IN_INVALID'],
    ];
    for (const [body, name] of cases) {
      expect(await call('createInvoice', { body }), name).to.deep.equal({ status: 400, body: { ok: false, error: { code: 400, name } } });
    }
    expect(fake.invoices.size).to.equal(0);
  });

  it('when getInvoices gets a bad count or an unknown method is called, then Crypto Pay style errors', async () => {
    expect((await call('getInvoices', { query: '?count=1001' })).body).to.deep.equal({ ok: false, error: { code: 400, name: 'COUNT_INVALID' } });
    expect((await call('getInvoices', { query: '?offset=-1' })).body).to.deep.equal({ ok: false, error: { code: 400, name: 'OFFSET_INVALID' } });
    expect((await call('getBalance')).body).to.deep.equal({ ok: false, error: { code: 405, name: 'METHOD_NOT_FOUND' } });
    expect((await call('getMe', { httpMethod: 'PUT' })).status).to.equal(404);
  });

  it('when an invoice is paid, then the webhook is the exact Crypto Pay update, signed over its raw bytes', async () => {
    const created = await newInvoice();
    const delivery = await fake.pay(created.invoice_id, { webhookUrl });
    expect(delivery.status).to.equal(200);
    const [got] = received;
    expect(got?.headers['content-type']).to.equal('application/json');
    expect(got?.headers['crypto-pay-api-signature']).to.equal(signCryptoPayBody(fake.token, got!.rawBody));
    const update = JSON.parse(got!.rawBody) as Record<string, unknown>;
    expect(Object.keys(update)).to.deep.equal(['update_id', 'update_type', 'request_date', 'payload']);
    expect(update).to.include({ update_type: 'invoice_paid' });
    expect(update.update_id).to.be.a('number');
    expect(new Date(update.request_date as string).toISOString()).to.equal(update.request_date);
    expect(update.payload).to.include({ invoice_id: created.invoice_id, status: 'paid', payload: 'payment:abc', paid_asset: 'USDT', paid_amount: '4.99' });
    expect(fake.invoice(created.invoice_id).status).to.equal('paid');
    const read = await call('getInvoices', { query: `?invoice_ids=${created.invoice_id}` });
    expect((read.body.result as { items: { status: string }[] }).items[0]?.status).to.equal('paid');
  });

  it('when the webhook is resent, then the same bytes and update_id, or another update_id, or other whitespace re-signed', async () => {
    const created = await newInvoice();
    const first = await fake.pay(created.invoice_id, { webhookUrl });
    const same = await fake.resend(created.invoice_id, { webhookUrl });
    expect(same.rawBody).to.equal(first.rawBody);
    expect(same.signature).to.equal(first.signature);
    const renumbered = await fake.resend(created.invoice_id, { webhookUrl, updateId: first.updateId + 100 });
    expect(JSON.parse(renumbered.rawBody).update_id).to.equal(first.updateId + 100);
    const spaced = await fake.resend(created.invoice_id, { webhookUrl, spaced: true });
    expect(spaced.rawBody).to.not.equal(first.rawBody);
    expect(JSON.parse(spaced.rawBody)).to.deep.equal(JSON.parse(first.rawBody));
    expect(spaced.signature).to.equal(signCryptoPayBody(fake.token, spaced.rawBody)).and.not.equal(first.signature);
    const forged = await fake.resend(created.invoice_id, { webhookUrl, signature: '00'.repeat(32) });
    expect(received.map((r) => r.headers['crypto-pay-api-signature'])).to.deep.equal([first.signature, first.signature, renumbered.signature, spaced.signature, forged.signature]);
    expect(received[4]?.headers['crypto-pay-api-signature']).to.equal('00'.repeat(32));
  });

  it('when an invoice expires, then Crypto Pay reports it expired and it can no longer be paid', async () => {
    const created = await newInvoice();
    fake.expire(created.invoice_id);
    const read = await call('getInvoices', { query: '?status=expired' });
    expect((read.body.result as { items: { invoice_id: number }[] }).items.map((i) => i.invoice_id)).to.deep.equal([created.invoice_id]);
    let refused: unknown;
    await fake.pay(created.invoice_id, { webhookUrl }).catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(Error);
    expect(received).to.have.length(0);
    expect(() => fake.invoice(999)).to.throw('no invoice');
  });

  it('when a body is not JSON, then 400 JSON_INVALID', async () => {
    const res = await request(`${fake.url}/api/createInvoice`, { method: 'POST', headers: { 'crypto-pay-api-token': fake.token, 'content-type': 'application/json' }, body: '{nope' });
    expect(res.statusCode).to.equal(400);
    expect(await res.body.json()).to.deep.equal({ ok: false, error: { code: 400, name: 'JSON_INVALID' } });
  });
});

import { expect } from 'chai';
import { CircuitState } from 'cockatiel';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CryptoPayClient, NewInvoice } from '../../../src/integrations/cryptobot/cryptopay.client';
import { CircuitOpenError, PaymentRejectedError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../../src/shared/errors';
import { FakeCryptoPay } from '../../fakes/cryptobot';
import { cryptoPayContainer } from './cryptopay-client';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

const cryptoInvoice = (overrides: Partial<NewInvoice> = {}): NewInvoice =>
  ({ currencyType: 'crypto', asset: 'USDT', amount: '4.99', description: 'CyberVPN Pro - 30 days', payload: 'payment:6f1c9a7e-3b2d-4c5e-9f80-1a2b3c4d5e6f', expiresInSeconds: 3600, ...overrides }) as NewInvoice;

describe('Crypto Pay client against the fake Crypto Pay', function () {
  this.timeout(20_000);
  let fake: FakeCryptoPay;
  let container: ReturnType<typeof cryptoPayContainer>;
  let client: CryptoPayClient;

  before(async () => {
    fake = await new FakeCryptoPay().start();
  });
  after(() => fake.stop());

  beforeEach(() => {
    fake.reset();
    container = cryptoPayContainer(fake.env(), { timeoutMs: 400 });
    client = container.cradle.cryptoPayClient;
  });
  afterEach(() => container.dispose());

  describe('the protocol', () => {
    it('when a crypto invoice is created, then it is POSTed as JSON with the token header and the validated invoice comes back with a string id', async () => {
      const invoice = await client.createInvoice(cryptoInvoice());
      const [sent] = fake.requests;
      expect(sent?.method).to.equal('POST');
      expect(sent?.apiMethod).to.equal('createInvoice');
      expect(sent?.headers['crypto-pay-api-token']).to.equal(fake.token);
      expect(sent?.headers['content-type']).to.equal('application/json');
      expect(sent?.params).to.include({ currency_type: 'crypto', asset: 'USDT', amount: '4.99', expires_in: 3600, payload: 'payment:6f1c9a7e-3b2d-4c5e-9f80-1a2b3c4d5e6f' });
      expect(invoice.invoiceId).to.be.a('string').and.equal(String(fake.invoice(invoice.invoiceId).invoice_id));
      expect(invoice).to.include({ status: 'active', currencyType: 'crypto', asset: 'USDT', fiat: null, amount: '4.99', paidAt: null, paidAsset: null });
      expect(invoice.botInvoiceUrl).to.match(/^https:\/\/t\.me\//);
      expect(invoice.expiresAt?.getTime()).to.be.closeTo(Date.now() + 3_600_000, 60_000);
      expect(invoice.createdAt).to.be.instanceOf(Date);
    });

    it('when a fiat invoice is created, then the accepted assets travel as a comma-separated string', async () => {
      const invoice = await client.createInvoice({ currencyType: 'fiat', fiat: 'USD', acceptedAssets: ['USDT', 'TON'], amount: '9.99', description: 'd', payload: 'payment:x', expiresInSeconds: 600 });
      expect(fake.requests[0]?.params).to.include({ currency_type: 'fiat', fiat: 'USD', accepted_assets: 'USDT,TON' });
      expect(invoice).to.include({ currencyType: 'fiat', fiat: 'USD', asset: null, amount: '9.99' });
    });

    it('when invoices are read by id, then it is a GET with invoice_ids comma-separated and each comes back validated', async () => {
      const first = await client.createInvoice(cryptoInvoice());
      const second = await client.createInvoice(cryptoInvoice({ payload: 'payment:other' }));
      await client.createInvoice(cryptoInvoice());
      await fake.pay(second.invoiceId, { webhookUrl: `${fake.url}/ignored` }).catch(() => undefined);
      fake.expire(first.invoiceId);
      const read = await client.getInvoices({ invoiceIds: [first.invoiceId, second.invoiceId] });
      const request = fake.requests.at(-1);
      expect(request?.method).to.equal('GET');
      expect(request?.params).to.include({ invoice_ids: `${first.invoiceId},${second.invoiceId}`, count: '2' });
      const byId = new Map(read.map((invoice) => [invoice.invoiceId, invoice]));
      expect(byId.size).to.equal(2);
      expect(byId.get(first.invoiceId)).to.include({ status: 'expired', paidAt: null });
      expect(byId.get(second.invoiceId)).to.include({ status: 'paid', payload: 'payment:other', paidAsset: 'USDT', paidAmount: '4.99' });
      expect(byId.get(second.invoiceId)?.paidAt).to.be.instanceOf(Date);
    });

    it('when invoices are read by status, then only that status comes back', async () => {
      const first = await client.createInvoice(cryptoInvoice());
      await client.createInvoice(cryptoInvoice());
      fake.expire(first.invoiceId);
      const expired = await client.getInvoices({ status: 'expired', offset: 0, count: 10 });
      expect(expired.map((invoice) => invoice.invoiceId)).to.deep.equal([first.invoiceId]);
      expect(fake.requests.at(-1)?.params).to.include({ status: 'expired', offset: '0', count: '10' });
    });

    it('when no invoice id is asked for, then nothing is sent and nothing comes back', async () => {
      expect(await client.getInvoices({ invoiceIds: [] })).to.deep.equal([]);
      expect(fake.requests).to.have.length(0);
    });

    it('when getMe is called, then the app behind the token comes back', async () => {
      expect(await client.getMe()).to.deep.equal({ appId: 4242, name: 'CyberVPN test app', botUsername: 'CryptoTestnetBot' });
      expect(fake.requests[0]?.method).to.equal('GET');
    });
  });

  describe('failures become our errors', () => {
    it('when the token is wrong, then the call is a 502-kind error and the operator gets an error log line', async () => {
      const wrong = cryptoPayContainer({ ...fake.env(), CRYPTOBOT_TOKEN: 'wrong-token' });
      try {
        const error = await rejection(wrong.cradle.cryptoPayClient.getMe());
        expect(error).to.be.instanceOf(UpstreamUnavailableError);
        expect(error.message).to.include('UNAUTHORIZED');
        const logged = wrong.logs.entries.find((entry) => entry.level === 'error');
        expect(logged?.message).to.include('CRYPTOBOT_TOKEN');
        expect(JSON.stringify(wrong.logs.entries)).to.not.include('wrong-token');
      } finally {
        await wrong.dispose();
      }
    });

    it('when Crypto Pay refuses the asset, then it is a payment rejection about the asset, and it is not retried', async () => {
      const error = await rejection(client.createInvoice(cryptoInvoice({ asset: 'DOGE' } as Partial<NewInvoice>)));
      expect(error).to.be.instanceOf(PaymentRejectedError);
      expect((error as PaymentRejectedError).reason).to.equal('asset');
      expect(fake.count('createInvoice')).to.equal(1);
    });

    it('when Crypto Pay refuses the amount or something else, then the reason says so', async () => {
      const amount = await rejection(client.createInvoice(cryptoInvoice({ amount: '-1' })));
      expect((amount as PaymentRejectedError).reason).to.equal('amount');
      fake.failNext({ reject: 'EXPIRES_IN_INVALID' });
      const other = await rejection(client.createInvoice(cryptoInvoice()));
      expect((other as PaymentRejectedError).reason).to.equal('invoice');
    });

    it('when a read is refused with {ok:false}, then it is an upstream failure, not the caller\'s fault', async () => {
      fake.failNext({ reject: 'COUNT_INVALID' });
      expect(await rejection(client.getMe())).to.be.instanceOf(UpstreamUnavailableError);
    });

    it('when Crypto Pay answers 500 to a read, then the read is retried and succeeds', async () => {
      fake.failNext('server_error');
      expect((await client.getMe()).appId).to.equal(4242);
      expect(fake.count('getMe')).to.equal(2);
    });

    it('when Crypto Pay answers 500 to createInvoice, then it is NOT retried: a lost answer may have made an invoice', async () => {
      fake.failNext('server_error');
      expect(await rejection(client.createInvoice(cryptoInvoice()))).to.be.instanceOf(UpstreamUnavailableError);
      expect(fake.count('createInvoice')).to.equal(1);
    });

    it('when the connection is cut on createInvoice, then it fails once as unavailable', async () => {
      fake.failNext('down');
      expect(await rejection(client.createInvoice(cryptoInvoice()))).to.be.instanceOf(UpstreamUnavailableError);
      expect(fake.count('createInvoice')).to.equal(1);
    });

    it('when Crypto Pay keeps failing reads, then they are tried three times in all and fail as unavailable', async () => {
      fake.failAlways('down');
      expect(await rejection(client.getInvoices({ status: 'active' }))).to.be.instanceOf(UpstreamUnavailableError);
      expect(fake.count('getInvoices')).to.equal(3);
    });

    it('when Crypto Pay hangs, then the call times out (504-kind) after OUTBOUND_TIMEOUT and is not retried', async () => {
      fake.failNext('hang');
      expect(await rejection(client.getMe())).to.be.instanceOf(UpstreamTimeoutError);
      expect(fake.count('getMe')).to.equal(1);
    });

    it('when Crypto Pay is slow but within the timeout, then the answer is used', async () => {
      fake.failNext({ slowMs: 50 });
      expect((await client.getMe()).name).to.equal('CyberVPN test app');
    });

    it('when the reply is not JSON or not an envelope or the wrong shape, then it is an upstream failure', async () => {
      fake.failNext('malformed');
      expect(await rejection(client.createInvoice(cryptoInvoice()))).to.be.instanceOf(UpstreamUnavailableError);
      fake.failNext('bad_shape');
      const shape = await rejection(client.createInvoice(cryptoInvoice()));
      expect(shape).to.be.instanceOf(UpstreamUnavailableError);
      expect(shape.message).to.include('unexpected reply');
    });

    it('when nothing listens at CRYPTOBOT_URL, then reads fail as unavailable and the breaker opens, refusing at once', async () => {
      const dead = cryptoPayContainer({ CRYPTOBOT_URL: 'http://127.0.0.1:9' });
      try {
        const deadClient = dead.cradle.cryptoPayClient;
        expect(await rejection(deadClient.getMe())).to.be.instanceOf(UpstreamUnavailableError);
        await rejection(deadClient.createInvoice(cryptoInvoice()));
        await rejection(deadClient.createInvoice(cryptoInvoice()));
        expect(deadClient.breakerState).to.equal(CircuitState.Open);
        expect(await rejection(deadClient.getMe())).to.be.instanceOf(CircuitOpenError);
      } finally {
        await dead.dispose();
      }
    });

    it('when the breaker is half-open, then other callers fail at once while the probe runs', async () => {
      const dead = cryptoPayContainer({ CRYPTOBOT_URL: 'http://127.0.0.1:9' }, { resilience: { breakerThreshold: 1, halfOpenAfterMs: 50 } });
      try {
        const deadClient = dead.cradle.cryptoPayClient;
        await rejection(deadClient.createInvoice(cryptoInvoice()));
        await new Promise((resolve) => setTimeout(resolve, 80));
        const probe = rejection(deadClient.getMe());
        expect(deadClient.breakerState).to.equal(CircuitState.HalfOpen);
        expect(await rejection(deadClient.getMe())).to.be.instanceOf(CircuitOpenError);
        await probe;
      } finally {
        await dead.dispose();
      }
    });

    it('when the reply is over 1 MB, then it is refused as an upstream failure', async () => {
      const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result: 'x'.repeat(1_100_000) })));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const huge = cryptoPayContainer({ CRYPTOBOT_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      try {
        const error = await rejection(huge.cradle.cryptoPayClient.createInvoice(cryptoInvoice()));
        expect(error.message).to.include('too large');
      } finally {
        await huge.dispose();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});

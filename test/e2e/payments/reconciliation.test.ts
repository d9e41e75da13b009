import { expect } from 'chai';
import { jobScope } from '../../support/job-scope';
import { paymentSuite, type PaymentSuite } from './payment-suite';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Where a dropped webhook goes: nobody listens there. */
const NOWHERE = { webhookUrl: 'http://127.0.0.1:9/api/v1/webhooks/cryptobot' };

/** The repeatable job for webhooks that never come: pending payments checked with Crypto Pay. */
describe('payment reconciliation', function () {
  this.timeout(30_000);
  let s: PaymentSuite;
  let plan: string;

  before(async () => {
    s = await paymentSuite();
    plan = await s.plan({ price: 4.99, currency: 'USDT', duration_days: 30 });
  });
  after(() => s.close());
  beforeEach(() => s.nextCase('payment'));

  const reconcile = (at = Date.now() + 6 * MINUTE_MS) => jobScope(s.t.container).paymentReconciliationService.run(at);
  const payment = (id: string) => s.t.container.cradle.db('payments').where({ id }).first();

  async function invoiceFor(userId: number): Promise<{ payment_id: string; invoice_id: string }> {
    const res = await s.t.http.post('/api/v1/payments/crypto/invoice').set(s.as.operator.bearer).send({ user_id: userId, plan_id: plan, asset: 'USDT' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { payment_id: string; invoice_id: string };
  }

  it('when an invoice was paid and its webhook dropped, then reconciliation applies it once', async () => {
    const user = s.fake.seedUser();
    const until = user.expireAt;
    const { payment_id, invoice_id } = await invoiceFor(user.id);
    await s.cryptoPay.pay(invoice_id, NOWHERE).catch(() => undefined);

    expect(await reconcile()).to.deep.include({ checked: 1, settled: 1, expired: 0, errors: 0 });
    expect(await reconcile(), 'a second run finds nothing pending').to.deep.include({ checked: 0, settled: 0 });

    expect((await payment(payment_id)).status).to.equal('completed');
    expect(Date.parse(s.fake.user(user.id)!.expireAt) - Date.parse(until)).to.equal(30 * DAY_MS);
    const asked = s.cryptoPay.requests.filter((r) => r.apiMethod === 'getInvoices');
    expect(asked).to.have.length(1);
    expect(asked[0]!.params).to.include({ invoice_ids: invoice_id });
  });

  it('when an invoice expired, then its payment is marked expired and audited; a recent one is not asked about', async () => {
    const user = s.fake.seedUser();
    const old = await invoiceFor(user.id);
    s.cryptoPay.expire(old.invoice_id);

    expect(await reconcile(Date.now() + 2 * MINUTE_MS), 'younger than PAYMENT_RECONCILE_AFTER').to.deep.include({ checked: 0 });
    expect(await reconcile()).to.deep.include({ checked: 1, expired: 1 });

    expect((await payment(old.payment_id)).status).to.equal('expired');
    expect((await s.auditOf('payment')).map((e) => e.action)).to.include('payment.expired');
    expect(s.fake.user(user.id)!.expireAt).to.equal(user.expireAt);
  });

  it('when an invoice is still active, then the payment stays pending', async () => {
    const { payment_id } = await invoiceFor(s.fake.seedUser().id);
    expect(await reconcile()).to.deep.include({ checked: 1, settled: 0, expired: 0 });
    expect((await payment(payment_id)).status).to.equal('pending');
  });

  it('when Crypto Pay is down, then the run fails as a whole and changes nothing', async () => {
    const { payment_id } = await invoiceFor(s.fake.seedUser().id);
    s.cryptoPay.failAlways('server_error');
    let failure: unknown;
    await reconcile().catch((error: unknown) => (failure = error));
    s.cryptoPay.heal();
    expect((failure as Error).name).to.match(/Upstream/);
    expect((await payment(payment_id)).status).to.equal('pending');
  });

  it('when the panel fails while a paid invoice is settled, then that payment is counted as an error and retried next run', async () => {
    const user = s.fake.seedUser();
    const { payment_id, invoice_id } = await invoiceFor(user.id);
    await s.cryptoPay.pay(invoice_id, NOWHERE).catch(() => undefined);
    s.fake.failAlways('server_error');
    expect(await reconcile()).to.deep.include({ checked: 1, settled: 0, errors: 1 });
    s.fake.heal();
    // The failures opened the panel client's breaker: give it its half-open delay.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await reconcile()).to.deep.include({ settled: 1 });
    expect((await payment(payment_id)).status).to.equal('completed');
  });

  it('when a row never got its invoice id, then it fails once no invoice can be live, and a late paid webhook still finds it by its payload', async () => {
    const user = s.fake.seedUser();
    const { db } = s.t.container.cradle;
    const [row] = (await db('payments')
      .insert({ user_id: String(user.id), plan_id: plan, amount: '4.99', asset: 'USDT', subscription_days: 30, created_at: new Date(Date.now() - 2 * 3_600_000) })
      .returning('id')) as Array<{ id: string }>;

    expect(await reconcile()).to.deep.include({ unrecorded: 1 });
    expect(await payment(row!.id)).to.deep.include({ status: 'failed', metadata: { error: 'invoice_not_recorded' } });

    const outcome = await jobScope(s.t.container).paymentSettlementService.settlePaidInvoice({ provider: 'cryptobot', invoiceId: '777001', paidAt: null, payload: `payment:${row!.id}` });
    expect(outcome).to.equal('completed');
    expect(await payment(row!.id)).to.deep.include({ status: 'completed', external_invoice_id: '777001' });
    expect(
      await jobScope(s.t.container).paymentSettlementService.settlePaidInvoice({ provider: 'cryptobot', invoiceId: '777002', paidAt: null, payload: `payment:${row!.id}` }),
      'a second invoice naming the same payment is not ours to apply',
    ).to.equal('unknown_invoice');
  });
});

import { expect } from 'chai';
import { fingerprintOf } from '../../../src/modules/payments/idempotent-request';
import { paymentSuite, type PaymentSuite } from './payment-suite';

/** Idempotency-Key on invoice requests: a retry gets the first answer and makes no second invoice. */
describe('invoice idempotency keys', function () {
  this.timeout(60_000);
  let s: PaymentSuite;
  let planId: string;

  before(async () => {
    s = await paymentSuite();
    planId = await s.plan();
  });
  after(() => s.close());
  beforeEach(() => s.nextCase('payment'));

  const invoice = (key: string | undefined, body: Record<string, unknown>, as = s.as.operator) => {
    const req = s.t.http.post('/api/v1/payments/crypto/invoice').set(as.bearer);
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body);
  };
  const keyRows = () => s.t.container.cradle.db('payment_idempotency_keys');

  it('when a request is retried with the same key, then the first answer comes again and there is one invoice', async () => {
    const user = s.fake.seedUser();
    const body = { user_id: user.id, plan_id: planId, asset: 'USDT' };
    const first = await invoice('retry-1', body);
    const second = await invoice('retry-1', { asset: 'usdt', plan_id: planId, user_id: String(user.id) });
    expect(first.status).to.equal(201);
    expect(second.status).to.equal(201);
    expect(second.body).to.deep.equal(first.body);
    expect(s.cryptoPay.count('createInvoice')).to.equal(1);
    expect(await s.t.container.cradle.db('payments')).to.have.length(1);
    const [row] = await keyRows();
    expect(row).to.include({ caller: `admin:${s.as.operator.id}`, idempotency_key: 'retry-1', payment_id: first.body.payment_id, response_status: 201 });
  });

  it('when ten identical requests with one key arrive at once, then one invoice and ten identical answers', async () => {
    const user = s.fake.seedUser();
    s.cryptoPay.failNext({ slowMs: 300 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => invoice('burst-1', { user_id: user.id, plan_id: planId, asset: 'USDT' })));
    expect(answers.map((res) => res.status)).to.deep.equal(Array(10).fill(201));
    for (const res of answers) expect(res.body).to.deep.equal(answers[0]!.body);
    expect(s.cryptoPay.count('createInvoice')).to.equal(1);
    expect(s.cryptoPay.invoices.size).to.equal(1);
    expect(await s.t.container.cradle.db('payments')).to.have.length(1);
  });

  it('when the same key comes with another request, then 422 and nothing new is made', async () => {
    const user = s.fake.seedUser();
    const other = s.fake.seedUser();
    await invoice('reuse-1', { user_id: user.id, plan_id: planId, asset: 'USDT' });
    const res = await invoice('reuse-1', { user_id: other.id, plan_id: planId, asset: 'USDT' });
    expect(res.status).to.equal(422);
    expect(res.body).to.deep.equal({ detail: 'Idempotency key reused with a different request' });
    expect(s.cryptoPay.count('createInvoice')).to.equal(1);
  });

  it('when another caller uses the same key, then it is its own key: a second invoice', async () => {
    const user = s.fake.seedUser();
    const body = { user_id: user.id, plan_id: planId, asset: 'USDT' };
    const mine = await invoice('shared-1', body, s.as.operator);
    const theirs = await invoice('shared-1', body, s.as.admin);
    expect(theirs.status).to.equal(201);
    expect(theirs.body.payment_id).to.not.equal(mine.body.payment_id);
    expect(s.cryptoPay.count('createInvoice')).to.equal(2);
  });

  it('when the first attempt failed, then a retry with the same key runs anew and succeeds', async () => {
    const user = s.fake.seedUser();
    const body = { user_id: user.id, plan_id: planId, asset: 'USDT' };
    s.cryptoPay.failNext('server_error');
    expect((await invoice('after-failure', body)).status).to.equal(502);
    expect(await keyRows()).to.have.length(0);
    const retry = await invoice('after-failure', body);
    expect(retry.status).to.equal(201);
    const statuses = (await s.t.container.cradle.db('payments').orderBy('created_at')).map((row: { status: string }) => row.status);
    expect(statuses).to.deep.equal(['failed', 'pending']);
  });

  it('when the first request with the key is still running elsewhere past the wait, then 409; an abandoned claim is taken over', async () => {
    const user = s.fake.seedUser();
    const body = { user_id: user.id, plan_id: planId, asset: 'USDT' };
    // The claim a request in another process holds while it runs (the fingerprint of this very body).
    const claim = { caller: `admin:${s.as.operator.id}`, request_fingerprint: fingerprintOf(`invoice|user:${user.id}|plan:${planId}|asset:USDT`) };
    await keyRows().insert({ ...claim, idempotency_key: 'running-1' });
    const busy = await invoice('running-1', body);
    expect(busy.status).to.equal(409);
    expect(busy.body).to.deep.equal({ detail: 'A request with this idempotency key is still in progress' });
    expect(s.cryptoPay.count('createInvoice')).to.equal(0);

    await keyRows().insert({ ...claim, idempotency_key: 'abandoned-1', created_at: new Date(Date.now() - 11 * 60_000) });
    const takenOver = await invoice('abandoned-1', body);
    expect(takenOver.status).to.equal(201);
    expect(await keyRows().where({ idempotency_key: 'abandoned-1' }).first()).to.include({ response_status: 201 });
  });

  it('when the key is empty, too long or not printable, then 422 on the header', async () => {
    const user = s.fake.seedUser();
    for (const key of ['', 'k'.repeat(256), 'tab\there']) {
      const res = await invoice(key, { user_id: user.id, plan_id: planId, asset: 'USDT' });
      expect(res.status, JSON.stringify(key)).to.equal(422);
      expect(res.body.detail[0].loc).to.deep.equal(['header', 'idempotency-key']);
    }
    expect((await invoice('k'.repeat(255), { user_id: user.id, plan_id: planId, asset: 'USDT' })).status).to.equal(201);
    expect(s.cryptoPay.count('createInvoice')).to.equal(1);
  });

  it('when no key is sent, then every request is its own invoice', async () => {
    const user = s.fake.seedUser();
    await invoice(undefined, { user_id: user.id, plan_id: planId, asset: 'USDT' });
    await invoice(undefined, { user_id: user.id, plan_id: planId, asset: 'USDT' });
    expect(s.cryptoPay.count('createInvoice')).to.equal(2);
    expect(await keyRows()).to.have.length(0);
  });

  it('when keys are older than IDEMPOTENCY_KEY_TTL, then the hourly pruning deletes them, keeps the recent ones, and a retry with a pruned key is a new request', async () => {
    const user = s.fake.seedUser();
    const body = { user_id: user.id, plan_id: planId, asset: 'USDT' };
    expect((await invoice('old-key', body)).status).to.equal(201);
    expect((await invoice('new-key', body)).status).to.equal(201);
    const ttlMs = s.t.container.cradle.config.idempotencyKeyTtlMs;
    await keyRows().where({ idempotency_key: 'old-key' }).update({ created_at: new Date(Date.now() - ttlMs - 60_000) });
    // An unanswered claim that old is garbage too.
    await keyRows().insert({ caller: `admin:${s.as.operator.id}`, idempotency_key: 'dead-claim', request_fingerprint: 'x', created_at: new Date(Date.now() - ttlMs - 60_000) });

    const scope = s.t.container.createScope();
    try {
      expect(await scope.cradle.idempotencyKeyPruning.run()).to.equal(2);
    } finally {
      await scope.dispose();
    }
    expect((await keyRows()).map((row: { idempotency_key: string }) => row.idempotency_key)).to.deep.equal(['new-key']);
    expect((await invoice('old-key', body)).status).to.equal(201);
    expect((await invoice('new-key', body)).status).to.equal(201);
    expect(s.cryptoPay.count('createInvoice')).to.equal(3);
  });
});

import { expect } from 'chai';
import type { NewDedupedWebhookLog } from '../../../src/modules/webhooks/webhook-logs.repository';
import { createTestApp, type TestApp } from '../../support/test-app';
import { cryptoPaySignature, postCryptoPay, webhookRows } from '../../support/webhooks';

const update = (invoiceId: number) =>
  JSON.stringify({ update_id: invoiceId, update_type: 'invoice_paid', request_date: '2026-12-01T12:00:00.000Z', payload: { invoice_id: invoiceId, status: 'paid' } });

const row = (dedupeKey: string, payload: unknown = { dedupeKey }): NewDedupedWebhookLog => ({
  source: 'cryptobot',
  event_type: 'invoice_paid',
  dedupe_key: dedupeKey,
  payload,
  signature: 'sig',
  is_valid: true,
  status: 'received',
});

describe('webhook intake under concurrent deliveries: one shared INSERT, no UPDATE', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  it('when 30 distinct signed deliveries arrive at once, then each is committed queued, its job added and 200 answered, in fewer INSERTs than deliveries and no UPDATE', async () => {
    const statements: string[] = [];
    const onQuery = (query: { sql: string }) => statements.push(query.sql);
    t.container.cradle.db.on('query', onQuery);
    try {
      const responses = await Promise.all(
        Array.from({ length: 30 }, (_, index) => {
          const raw = update(700_000 + index);
          return postCryptoPay(t.http, raw, cryptoPaySignature(raw));
        }),
      );
      expect(responses.map((response) => response.status)).to.deep.equal(Array(30).fill(200));
    } finally {
      t.container.cradle.db.off('query', onQuery);
    }
    const rows = await webhookRows(t.container);
    expect(rows).to.have.length(30);
    expect(rows.every((entry) => entry.status === 'queued')).to.equal(true);
    const queue = t.container.cradle.jobQueues.queue('webhooks');
    const jobs = await Promise.all(rows.map((entry) => queue.getJob(`cryptobot-${entry.dedupe_key}`)));
    expect(jobs.map((job) => job?.data)).to.deep.equal(rows.map((entry) => ({ webhookLogId: entry.id })));
    const inserts = statements.filter((sql) => sql.startsWith('INSERT INTO webhook_logs'));
    expect(inserts.length).to.be.within(1, 29);
    expect(statements.filter((sql) => /^update/i.test(sql))).to.deep.equal([]);
  });

  it('when one batch holds an event twice and an event already recorded, then only the new event is inserted and the repeats get the first row', async () => {
    const batches = t.container.cradle.webhookIntakeBatches;
    const earlier = await batches.insertOnce({ ...row('old'), status: 'queued' }, 10);
    const [first, repeat, old, other] = await Promise.all([row('a'), row('a'), row('old'), row('b')].map((entry) => batches.insertOnce(entry, 10)));
    expect(first!.inserted).to.equal(true);
    expect(repeat).to.deep.equal({ inserted: false, log: first!.log });
    expect(old).to.deep.equal({ inserted: false, log: { id: earlier.log.id, status: 'queued' } });
    expect(other!.inserted).to.equal(true);
    expect((await webhookRows(t.container)).map((entry) => entry.dedupe_key).sort()).to.deep.equal(['a', 'b', 'old']);
  });

  it('when PostgreSQL refuses one row of a batch, then only that delivery fails and the others of its batch are recorded', async () => {
    const batches = t.container.cradle.webhookIntakeBatches;
    // A lone surrogate: valid in a JavaScript string (and in JSON), refused by jsonb.
    const results = await Promise.allSettled([row('good-1'), row('bad', { text: '\ud800' }), row('good-2')].map((entry) => batches.insertOnce(entry, 10)));
    expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((await webhookRows(t.container)).map((entry) => entry.dedupe_key).sort()).to.deep.equal(['good-1', 'good-2']);
    const alone = await Promise.allSettled([batches.insertOnce(row('bad-alone', { text: '\ud800' }), 10)]);
    expect(alone[0]!.status).to.equal('rejected');
  });

});

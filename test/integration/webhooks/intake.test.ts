import { expect } from 'chai';
import vectors from '../../vectors/signatures.json';
import { createTestApp, type TestApp } from '../../support/test-app';
import { freePort } from '../../e2e/api-process';
import { cryptoPaySignature, postCryptoPay, postRemnawave, userExpiredEvent, webhookRows } from '../../support/webhooks';

const paid = vectors.cryptopay_webhook;
const spaced = vectors.cryptopay_webhook_spaced;

describe('webhook intake: POST /webhooks/cryptobot and /webhooks/remnawave', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const job = (id: string) => t.container.cradle.jobQueues.queue('webhooks').getJob(id);

  it('when Crypto Pay sends a signed invoice_paid, then the row is committed and queued under the invoice\'s job id, and 200 comes', async () => {
    const res = await postCryptoPay(t.http, paid.raw_body, paid.signature);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ ok: true });
    const [row, ...others] = await webhookRows(t.container);
    expect(others).to.have.length(0);
    expect(row).to.include({ source: 'cryptobot', event_type: 'invoice_paid', dedupe_key: '528890', is_valid: true, status: 'queued', attempts: 0 });
    expect(row!.payload).to.deep.equal(JSON.parse(paid.raw_body));
    const queued = await job('cryptobot-528890');
    expect(queued?.name).to.equal('process');
    expect(queued?.data).to.deep.equal({ webhookLogId: row!.id });
    expect(queued?.opts.attempts).to.equal(8);
  });

  it('when the same invoice arrives 10 times, concurrently and with other whitespace, then there is one row and one job', async () => {
    const answers = await Promise.all([
      ...Array.from({ length: 9 }, () => postCryptoPay(t.http, paid.raw_body, paid.signature)),
      postCryptoPay(t.http, spaced.raw_body, spaced.signature),
    ]);
    expect(answers.map((res) => res.status)).to.deep.equal(Array(10).fill(200));
    const rows = await webhookRows(t.container);
    expect(rows).to.have.length(1);
    expect(rows[0]!.status).to.equal('queued');
    expect(await t.container.cradle.jobQueues.queue('webhooks').getJobCounts('waiting')).to.deep.equal({ waiting: 1 });
  });

  it('when the signature is wrong or missing, then 401 "Invalid signature", a bounded is_valid=false row, and nothing queued', async () => {
    const big = JSON.stringify({ update_type: 'invoice_paid', payload: { invoice_id: 1, filler: 'é'.repeat(20_000) } });
    const wrong = await postCryptoPay(t.http, big, cryptoPaySignature(big, 'another-token'));
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.deep.equal({ detail: 'Invalid signature' });
    const missing = await t.http.post('/api/v1/webhooks/remnawave').set('Content-Type', 'application/json').send(userExpiredEvent());
    expect(missing.status).to.equal(401);
    expect(missing.body).to.deep.equal({ detail: 'Invalid signature' });

    const rows = await webhookRows(t.container);
    expect(rows.map((row) => [row.source, row.is_valid, row.status, row.dedupe_key])).to.deep.equal([
      ['cryptobot', false, 'ignored', null],
      ['remnawave', false, 'ignored', null],
    ]);
    const payload = rows[0]!.payload as { excerpt: string; bytes: number };
    expect(payload.bytes).to.equal(Buffer.byteLength(big));
    expect(Array.from(payload.excerpt)).to.have.length(256);
    expect(rows[1]!.signature).to.equal(null);
    expect(await t.container.cradle.jobQueues.queue('webhooks').count()).to.equal(0);
  });

  it('when a forged body holds U+0000 or is cut inside a character, then it is still logged (401, never a 500)', async () => {
    const res = await t.http.post('/api/v1/webhooks/cryptobot').set('Content-Type', 'text/plain').set('crypto-pay-api-signature', 'zz').send(`${'😀'.repeat(300)}\u0000`);
    expect(res.status).to.equal(401);
    expect(await webhookRows(t.container)).to.have.length(1);
  });

  it('when a signed body is not JSON, then 400 and the delivery is logged as ignored', async () => {
    const raw = '{"update_type": "invoice_paid", ';
    const res = await postCryptoPay(t.http, raw);
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ detail: 'Malformed JSON body' });
    const [row] = await webhookRows(t.container);
    expect(row).to.include({ is_valid: true, status: 'ignored', error_message: 'Malformed JSON body', payload: null });
  });

  it('when a signed body escapes half a surrogate pair (which jsonb cannot store), then 400 like any malformed body, never a 500', async () => {
    for (const raw of ['{"update_id":1,"update_type":"invoice_paid","payload":{"invoice_id":9,"description":"\\ud800"}}', '{"\\udc00":1}']) {
      const res = await postCryptoPay(t.http, raw);
      expect(res.status, raw).to.equal(400);
      expect(res.body).to.deep.equal({ detail: 'Malformed JSON body' });
    }
    const rows = await webhookRows(t.container);
    expect(rows.map((row) => [row.status, row.error_message, row.payload])).to.deep.equal([
      ['ignored', 'Malformed JSON body', null],
      ['ignored', 'Malformed JSON body', null],
    ]);
    expect((await postCryptoPay(t.http, '{"update_type":"x","payload":{"t":"\\ud83d\\ude00"}}')).status, 'a whole pair is fine').to.equal(200);
  });

  it('when a signed body nests deeper than any sender does (too deep to serialise or store), then 400 like any malformed body, never a 500', async () => {
    const deep = `{"update_type":"invoice_paid","payload":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await postCryptoPay(t.http, deep);
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ detail: 'Malformed JSON body' });
    const [row] = await webhookRows(t.container);
    expect(row).to.include({ is_valid: true, status: 'ignored', error_message: 'Malformed JSON body', payload: null });
    const nested = `{"update_type":"x","payload":${'{"a":'.repeat(30)}1${'}'.repeat(30)}}`;
    expect((await postCryptoPay(t.http, nested)).status, 'an ordinary depth is fine').to.equal(200);
  });

  it('when a signed update is of a type not acted on, then 200, logged as ignored, nothing queued', async () => {
    const raw = JSON.stringify({ update_id: 5, update_type: 'invoice_expired', payload: { invoice_id: 77, text: 'a\u0000b', 'key\u0000': ['c\u0000'] } });
    expect((await postCryptoPay(t.http, raw)).status).to.equal(200);
    const event = JSON.stringify({ scope: 'user', event: 'user.created', timestamp: '2026-11-28T12:00:00Z', data: { id: 1 } });
    expect((await postRemnawave(t.http, event)).status).to.equal(200);
    const rows = await webhookRows(t.container);
    expect(rows.map((row) => [row.event_type, row.status, row.error_message])).to.deep.equal([
      ['invoice_expired', 'ignored', 'Event not handled'],
      ['user.created', 'ignored', 'Event not handled'],
    ]);
    expect((rows[0]!.payload as { payload: Record<string, unknown> }).payload).to.deep.include({ text: 'ab', key: ['c'] });
    expect(await t.container.cradle.jobQueues.queue('webhooks').count()).to.equal(0);
  });

  it('when Remnawave sends a signed user.expired (the published vector), then it is queued under an id of its event', async () => {
    const vector = vectors.remnawave_webhook;
    expect((await postRemnawave(t.http, vector.raw_body, vector.signature)).status).to.equal(200);
    const [row] = await webhookRows(t.container);
    expect(row).to.include({ event_type: 'user.expired', dedupe_key: 'user.expired:42:2026-11-28T12:00:00.000Z', status: 'queued' });
    const queued = await job('remnawave-user.expired_42_2026-11-28T12_00_00.000Z');
    expect(queued?.data).to.deep.equal({ webhookLogId: row!.id });
  });

  describe('while Redis is unreachable', () => {
    let offline: TestApp;
    before(async () => {
      offline = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}/0` });
    });
    after(() => offline.close());

    it('when a signed webhook arrives, then the committed row answers 200 as `received`; a redelivery once Redis is back queues it', async () => {
      const started = Date.now();
      const res = await postCryptoPay(offline.http, paid.raw_body, paid.signature);
      expect(res.status).to.equal(200);
      expect(Date.now() - started).to.be.below(10_000);
      const [row] = await webhookRows(offline.container);
      expect(row).to.include({ status: 'received', dedupe_key: '528890' });
      expect(offline.logs.entries.some((entry) => entry.message === 'webhook recorded but not queued; the sweep will queue it')).to.equal(true);

      // The same database, an app whose Redis is up: a second delivery of a row never queued queues it.
      expect((await postCryptoPay(t.http, paid.raw_body, paid.signature)).status).to.equal(200);
      expect((await webhookRows(t.container))[0]!.status).to.equal('queued');
      expect((await job('cryptobot-528890'))?.data).to.deep.equal({ webhookLogId: row!.id });
    });
  });
});

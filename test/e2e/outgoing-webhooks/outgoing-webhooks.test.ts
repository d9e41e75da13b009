import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AppContainer } from '../../../src/container';
import { DeliveryRetryError } from '../../../src/modules/outgoing-webhooks/outgoing-webhook-delivery';
import { encryptSecret } from '../../../src/shared/secrets';
import { reauthenticate, type SignedIn } from '../../support/auth-helpers';
import { createTestApp, type TestApp } from '../../support/test-app';
import { jobScope } from '../../support/job-scope';
import { signedInAdmin } from '../admins/helpers';
import { Receiver } from './receiver';

const HOOKS = '/api/v1/admin/webhooks';

const deliveryIn = (container: AppContainer) => jobScope(container).outgoingWebhookDelivery;

describe('outgoing webhooks', function () {
  this.timeout(60_000);
  let t: TestApp;
  let receiver: Receiver;
  let owner: SignedIn & { id: string };
  let admin: SignedIn & { id: string };

  before(async () => {
    receiver = await new Receiver().start();
    t = await createTestApp({ OUTGOING_WEBHOOK_ALLOW_PRIVATE: 'true', OUTGOING_WEBHOOK_MAX_FAILURES: '2', OUTBOUND_TIMEOUT: '2s' });
    owner = await signedInAdmin(t, 'super_admin');
    await reauthenticate(t, owner.bearer, (owner as unknown as { password: string }).password);
    admin = await signedInAdmin(t, 'admin');
  });
  after(async () => {
    await t.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    receiver.received.length = 0;
    receiver.answers = [];
    await t.container.cradle.db('outgoing_webhooks').del();
  });

  async function register(events = ['payment.completed']): Promise<{ id: string; secret: string }> {
    const res = await t.http.post(HOOKS).set(owner.bearer).send({ url: receiver.url, events, description: 'billing' });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    receiver.secret = res.body.secret as string;
    return res.body as { id: string; secret: string };
  }

  async function emitPaymentCompleted(): Promise<string[]> {
    const { db, outgoingWebhookEvents } = t.container.cradle;
    return db.transaction((trx) => outgoingWebhookEvents.record(trx, 'payment.completed', { payment_id: 'p-1', amount: '4.99' }));
  }

  describe('managing endpoints', () => {
    it('when a super_admin registers one, then the secret is in that answer only and the change is audited without it', async () => {
      const created = await register(['payment.completed', 'node.down']);
      expect(created.secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
      const read = await t.http.get(`${HOOKS}/${created.id}`).set(admin.bearer);
      expect(read.status).to.equal(200);
      expect(read.body).to.include({ url: receiver.url, is_active: true, consecutive_failures: 0, description: 'billing' });
      expect(read.body).to.not.have.property('secret');
      expect(JSON.stringify((await t.http.get(HOOKS).set(admin.bearer)).body)).to.not.include(created.secret);
      const audit = await t.container.cradle.db('audit_logs').where({ action: 'outgoing_webhook.created', entity_id: created.id });
      expect(audit).to.have.length(1);
      expect(JSON.stringify(audit[0])).to.not.include(created.secret);
    });

    it('when an admin (not super_admin) or a super_admin without re-authentication tries, then 403 and nothing is made', async () => {
      const body = { url: receiver.url, events: ['node.up'] };
      expect((await t.http.post(HOOKS).set(admin.bearer).send(body)).body).to.deep.equal({ detail: 'Insufficient permissions' });
      const fresh = await signedInAdmin(t, 'super_admin');
      const res = await t.http.post(HOOKS).set(fresh.bearer).send(body);
      expect(res.status).to.equal(403);
      expect(res.body).to.deep.equal({ detail: 'Re-authentication required' });
      expect(Number((await t.container.cradle.db('outgoing_webhooks').count({ n: '*' }))[0]!.n)).to.equal(0);
    });

    it('when the url or events are bad, then 422 in the documented shape', async () => {
      for (const body of [
        { url: 'ftp://example.com/x', events: ['node.up'] },
        { url: 'https://user:pw@example.com/x', events: ['node.up'] },
        { url: 'https://example.com/x', events: [] },
        { url: 'https://example.com/x', events: ['payment.refunded'] },
        { url: 'https://example.com/x', events: ['node.up', 'node.up'] },
        { events: ['node.up'] },
      ]) {
        const res = await t.http.post(HOOKS).set(owner.bearer).send(body);
        expect(res.status, JSON.stringify(body)).to.equal(422);
        expect(res.body.detail[0]).to.have.keys('loc', 'msg', 'type');
      }
    });

    it('when an endpoint is changed, its secret rotated and it is removed, then each step shows and is audited', async () => {
      const { id, secret } = await register();
      const changed = await t.http.patch(`${HOOKS}/${id}`).set(owner.bearer).send({ events: ['user.expired'], description: '' });
      expect(changed.body).to.include({ description: null });
      expect(changed.body.events).to.deep.equal(['user.expired']);
      const rotated = await t.http.post(`${HOOKS}/${id}/rotate-secret`).set(owner.bearer);
      expect(rotated.body.secret).to.match(/^whsec_/).and.not.equal(secret);
      expect((await t.http.delete(`${HOOKS}/${id}`).set(owner.bearer)).status).to.equal(204);
      expect((await t.http.get(`${HOOKS}/${id}`).set(admin.bearer)).body).to.deep.equal({ detail: 'Webhook endpoint not found' });
      expect((await t.http.delete(`${HOOKS}/${id}`).set(owner.bearer)).status).to.equal(404);
      expect((await t.http.post(`${HOOKS}/${randomUUID()}/rotate-secret`).set(owner.bearer)).status).to.equal(404);
      expect((await t.http.patch(`${HOOKS}/${randomUUID()}`).set(owner.bearer).send({ is_active: true })).status).to.equal(404);
      expect((await t.http.get(`${HOOKS}/${randomUUID()}/deliveries`).set(admin.bearer)).status).to.equal(404);
      const actions = (await t.container.cradle.db('audit_logs').where({ entity_id: id }).orderBy('created_at')).map((e: { action: string }) => e.action);
      expect(actions).to.deep.equal(['outgoing_webhook.created', 'outgoing_webhook.updated', 'outgoing_webhook.secret_rotated', 'outgoing_webhook.deleted']);
    });
  });

  describe('deliveries', () => {
    it('when an event happens, then each subscribed endpoint gets one POST a receiver can verify from the documented scheme', async () => {
      const { id } = await register(['payment.completed']);
      const other = await t.http.post(HOOKS).set(owner.bearer).send({ url: receiver.url, events: ['node.down'] });
      expect(other.status).to.equal(201);
      const [deliveryId, ...more] = await emitPaymentCompleted();
      expect(more).to.have.length(0);

      expect(await deliveryIn(t.container).deliver(deliveryId!, { final: false })).to.equal('delivered');

      expect(receiver.received).to.have.length(1);
      const [got] = receiver.received;
      expect(got!.signatureValid).to.equal(true);
      expect(got!.headers['x-cybervpn-event']).to.equal('payment.completed');
      expect(got!.headers['x-cybervpn-delivery']).to.equal(deliveryId);
      expect(Math.abs(Number(got!.headers['x-cybervpn-timestamp']) - Date.now() / 1000)).to.be.below(60);
      expect(JSON.parse(got!.body)).to.deep.include({ id: deliveryId, event: 'payment.completed', data: { payment_id: 'p-1', amount: '4.99' } });
      const history = await t.http.get(`${HOOKS}/${id}/deliveries`).set(admin.bearer);
      expect(history.body.total).to.equal(1);
      expect(history.body.items[0]).to.include({ id: deliveryId, status: 'delivered', attempts: 1, last_status_code: 200, last_error: null });
      expect(await deliveryIn(t.container).deliver(deliveryId!, { final: false }), 'a second run finds it done').to.equal('already_done');
      expect(receiver.received).to.have.length(1);
    });

    it('when the receiver fails, then the attempt is recorded and retried; the last failed attempt fails the delivery', async () => {
      const { id } = await register();
      receiver.answers = [500, 503];
      const [deliveryId] = await emitPaymentCompleted();

      let retried: unknown;
      await deliveryIn(t.container)
        .deliver(deliveryId!, { final: false })
        .catch((error: unknown) => (retried = error));
      expect(retried).to.be.instanceOf(DeliveryRetryError);
      expect(await deliveryIn(t.container).deliver(deliveryId!, { final: true })).to.equal('failed');

      const [row] = (await t.http.get(`${HOOKS}/${id}/deliveries`).set(admin.bearer)).body.items;
      expect(row).to.include({ status: 'failed', attempts: 2, last_status_code: 503, last_error: 'Receiver answered 503' });
      expect(JSON.stringify(row)).to.not.include('receiver body');
      expect((await t.http.get(`${HOOKS}/${id}`).set(admin.bearer)).body).to.include({ consecutive_failures: 1, is_active: true });
    });

    it('when deliveries fail for good the configured number of times in a row, then the endpoint is disabled, audited, and re-enabling starts afresh', async () => {
      const { id } = await register();
      receiver.answers = [500, 500, 500];
      for (const deliveryId of [...(await emitPaymentCompleted()), ...(await emitPaymentCompleted())]) {
        expect(await deliveryIn(t.container).deliver(deliveryId, { final: true })).to.equal('failed');
      }
      const endpoint = (await t.http.get(`${HOOKS}/${id}`).set(admin.bearer)).body;
      expect(endpoint).to.include({ is_active: false, consecutive_failures: 2 });
      expect(endpoint.disabled_reason).to.equal('2 deliveries in a row failed; last: Receiver answered 500');
      expect(await t.container.cradle.db('audit_logs').where({ action: 'outgoing_webhook.disabled', entity_id: id })).to.have.length(1);
      expect(await emitPaymentCompleted(), 'a disabled endpoint gets no new deliveries').to.deep.equal([]);

      const enabled = await t.http.patch(`${HOOKS}/${id}`).set(owner.bearer).send({ is_active: true });
      expect(enabled.body).to.include({ is_active: true, consecutive_failures: 0, disabled_reason: null });
    });

    it('when the endpoint was disabled or removed after the event, then its pending delivery is cancelled, not sent', async () => {
      const { id } = await register();
      const [deliveryId] = await emitPaymentCompleted();
      await t.http.patch(`${HOOKS}/${id}`).set(owner.bearer).send({ is_active: false });
      expect(await deliveryIn(t.container).deliver(deliveryId!, { final: false })).to.equal('cancelled');
      expect(receiver.received).to.have.length(0);
    });

    it('when the receiver cannot be reached, then the error says so safely', async () => {
      await register();
      await t.container.cradle.db('outgoing_webhooks').update({ url: 'http://127.0.0.1:9/hook' });
      const [deliveryId] = await emitPaymentCompleted();
      expect(await deliveryIn(t.container).deliver(deliveryId!, { final: true })).to.equal('failed');
      const row = await t.container.cradle.db('outgoing_webhook_deliveries').where({ id: deliveryId }).first();
      expect(row).to.include({ status: 'failed', last_error: 'Connection refused', last_status_code: null });
    });

    it('when a delivery job could not be queued, then the sweep queues it again', async () => {
      await register();
      const [deliveryId] = await emitPaymentCompleted();
      // Recorded, never dispatched (as when Redis was away): due for the sweep once old enough.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await t.container.cradle.outgoingWebhookEvents.requeueStale(10)).to.equal(1);
      const job = await t.container.cradle.jobQueues.queue('outgoing-webhooks').getJob(`delivery-${deliveryId}`);
      expect(job?.data).to.deep.equal({ deliveryId });
      expect(job?.opts.attempts).to.equal(6);
      await job?.remove();
    });
  });

  describe('in production rules (no private targets)', () => {
    let strict: TestApp;
    let strictOwner: SignedIn;
    before(async () => {
      strict = await createTestApp({ OUTGOING_WEBHOOK_ALLOW_PRIVATE: 'false' });
      const made = await signedInAdmin(strict, 'super_admin');
      await reauthenticate(strict, made.bearer, made.password);
      strictOwner = made;
    });
    after(() => strict.close());

    it('when the url names a loopback, private or link-local address, then 422 at registration', async () => {
      for (const url of ['http://127.0.0.1/x', 'http://localhost:8080/x', 'http://10.0.0.5/x', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://[fd00::1]/x']) {
        const res = await strict.http.post(HOOKS).set(strictOwner.bearer).send({ url, events: ['node.up'] });
        expect(res.status, url).to.equal(422);
        expect(res.body.detail[0]).to.include({ msg: 'url must not point to a loopback, private or link-local address' });
      }
    });

    it('when a name resolves to a loopback address at delivery time, then nothing is sent and the delivery fails at once', async () => {
      const { db, config, outgoingWebhookEvents } = strict.container.cradle;
      // A name that passed registration (say, its DNS changed since): only resolution can tell.
      await db('outgoing_webhooks').insert({ url: receiver.url, events: ['payment.completed'], secret_encrypted: encryptSecret('whsec_x', config.dataEncryptionKey) });
      const [deliveryId] = await db.transaction((trx) => outgoingWebhookEvents.record(trx, 'payment.completed', {}));
      expect(await deliveryIn(strict.container).deliver(deliveryId!, { final: false })).to.equal('failed');
      expect(receiver.received).to.have.length(0);
      const row = await db('outgoing_webhook_deliveries').where({ id: deliveryId }).first();
      expect(row).to.include({ status: 'failed', attempts: 1, last_error: 'Receiver address not allowed' });
    });
  });
});

import { expect } from 'chai';
import { FakeTelegram } from '../../fakes/telegram';
import { signedInAdmin } from '../admins/helpers';
import { TEST_REDIS_PREFIX, testEnv } from '../../support/env';
import { deleteKeysWithPrefix } from '../../support/redis-keys';
import { createTestApp, type TestApp } from '../../support/test-app';
import { nodeEvent, postRemnawave, webhookRows } from '../../support/webhooks';
import type { ApiProcess } from '../api-process';
import { startWebhookWorker, waitForLog } from '../webhooks/worker-process';
import { eventually, startNotificationWorker, stopWorker, waitForWorkerStart } from './worker-process';

/** Long enough for two loaded workers to take a burst of events into one window, short enough to wait for. */
const WINDOW = '5s';
const WINDOW_MS = 5000;

/**
 * Node alerts coalesced across processes: two webhook workers record the panel's node events into
 * the Redis window, two notification workers race for the window's job; the admins' chat on the
 * fake Bot API shows what reached Telegram.
 */
describe('node alerts coalesced across worker processes', function () {
  this.timeout(180_000);
  const prefix = `${TEST_REDIS_PREFIX}node-alerts-e2e:`;
  let telegram: FakeTelegram;
  let t: TestApp;
  const workers: ApiProcess[] = [];
  const adminChat = 880_001;

  before(async () => {
    telegram = await new FakeTelegram().start();
    t = await createTestApp({ ...telegram.env(), REDIS_KEY_PREFIX: prefix, NODE_ALERT_WINDOW: WINDOW });
    await t.reset();
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    const admin = await signedInAdmin(t, 'admin');
    await t.container.cradle.db('admin_users').where({ id: admin.id }).update({ telegram_id: adminChat });
    const env = testEnv({ ...telegram.env(), REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'info', NODE_ALERT_WINDOW: WINDOW });
    const started = [startNotificationWorker(env), startNotificationWorker(env)];
    workers.push(...started, startWebhookWorker({ REDIS_KEY_PREFIX: prefix, NODE_ALERT_WINDOW: WINDOW }), startWebhookWorker({ REDIS_KEY_PREFIX: prefix, NODE_ALERT_WINDOW: WINDOW }));
    await Promise.all(started.map((worker) => waitForWorkerStart(worker)));
    await Promise.all(workers.slice(2).map((worker) => waitForLog(worker, 'worker started')));
  });
  beforeEach(() => telegram.reset());
  after(async () => {
    await Promise.all(workers.map((worker) => stopWorker(worker)));
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    await t.close();
    await telegram.stop();
  });

  const alerts = () => telegram.messagesTo(adminChat).map((message) => message.text);
  const allProcessed = async (count: number) =>
    eventually(`${count} webhooks processed`, async () => {
      const rows = await webhookRows(t.container);
      return rows.filter((row) => row.status === 'processed').length >= count;
    });
  /** The window's message, then one more window of quiet: nothing else may follow. */
  async function theOnlyAlert(): Promise<string> {
    await eventually('the node alert', () => alerts().length > 0);
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 1000));
    expect(alerts()).to.have.length(1);
    return alerts()[0]!;
  }

  it('when ten nodes drop at once, then the admins get one message listing all ten as down, sent by one of two workers', async () => {
    const before = (await webhookRows(t.container)).length;
    const names = Array.from({ length: 10 }, (_, i) => `fr-${String(i).padStart(2, '0')}`);
    const answers = await Promise.all(names.map((name) => postRemnawave(t.http, nodeEvent('node.connection_lost', name))));
    expect(answers.every((res) => res.status === 200)).to.equal(true);
    await allProcessed(before + 10);
    const text = await theOnlyAlert();
    expect(text).to.contain('Down (10)');
    for (const name of names) expect(text).to.contain(name);
    expect(text).not.to.contain('Back').and.not.to.contain('Flapped');
    const rows = await t.container.cradle.db('notification_queue').where('dedupe_key', 'like', 'node-alerts:%');
    expect(rows).to.have.length(1);
  });

  it('when a node goes down and comes back inside the window and another only comes back, then one message names the first a flap and the second back', async () => {
    const before = (await webhookRows(t.container)).length;
    expect((await postRemnawave(t.http, nodeEvent('node.connection_lost', 'de-flappy'))).status).to.equal(200);
    await allProcessed(before + 1);
    expect((await postRemnawave(t.http, nodeEvent('node.connection_restored', 'de-flappy'))).status).to.equal(200);
    expect((await postRemnawave(t.http, nodeEvent('node.connection_restored', 'nl-steady'))).status).to.equal(200);
    await allProcessed(before + 3);
    const text = await theOnlyAlert();
    expect(text).to.contain('Flapped (1): de-flappy (up now)');
    expect(text).to.contain('Back (1): nl-steady');
    expect(text).not.to.contain('Down');
  });
});

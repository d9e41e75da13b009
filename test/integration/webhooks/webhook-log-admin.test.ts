import { expect } from 'chai';
import type { Job } from 'bullmq';
import { createTestApp, type TestApp } from '../../support/test-app';
import { signedInAdmin } from '../../e2e/admins/helpers';
import { TEST_METRICS_TOKEN } from '../../support/env';
import { WorkerRuntime } from '../../../src/infrastructure/queues/worker-runtime';
import { eventually, postCryptoPay, postRemnawave, userExpiredEvent } from '../../support/webhooks';

describe('webhook log admin routes, queue health and gauges, the job scope', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ QUEUE_WAITING_DEGRADED: '3' });
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const insertRow = async (row: Record<string, unknown>) =>
    (await t.container.cradle.db('webhook_logs').insert({ source: 'remnawave', is_valid: true, status: 'failed', payload: '{}', ...row }).returning<{ id: string }[]>('id'))[0]!.id;

  it('when listed with filters, then only matching rows come, newest first, paginated, without signatures; viewers are refused', async () => {
    const admin = await signedInAdmin(t, 'admin');
    await postRemnawave(t.http, userExpiredEvent());
    await postCryptoPay(t.http, '{"update_type":"invoice_paid","payload":{"invoice_id":9}}');
    await postCryptoPay(t.http, '{}', 'bad');
    const all = await t.http.get('/api/v1/admin/webhook-log').set(admin.bearer);
    expect(all.status).to.equal(200);
    expect(all.body.total).to.equal(3);
    expect(all.body.items.map((item: { source: string; is_valid: boolean }) => [item.source, item.is_valid])).to.deep.equal([
      ['cryptobot', false],
      ['cryptobot', true],
      ['remnawave', true],
    ]);
    expect(all.body.items[0]).to.not.have.property('signature');
    const filtered = await t.http.get('/api/v1/admin/webhook-log').query({ source: 'cryptobot', status: 'queued', page_size: 1 }).set(admin.bearer);
    expect(filtered.body).to.deep.include({ total: 1, page: 1, page_size: 1 });
    expect(filtered.body.items[0].dedupe_key).to.equal('9');
    expect((await t.http.get('/api/v1/admin/webhook-log').query({ status: 'lost' }).set(admin.bearer)).status).to.equal(422);
    const viewer = await signedInAdmin(t, 'viewer');
    expect((await t.http.get('/api/v1/admin/webhook-log').set(viewer.bearer)).status).to.equal(403);
  });

  it('when a retry is asked for an invalid, processed or unknown row, then 409 or 404 and nothing changes; a stuck `received` row is queued', async () => {
    const admin = await signedInAdmin(t, 'admin');
    const retry = (id: string) => t.http.post(`/api/v1/admin/webhook-log/${id}/retry`).set(admin.bearer);
    const invalid = await insertRow({ is_valid: false, status: 'ignored' });
    const processed = await insertRow({ status: 'processed', dedupe_key: 'a' });
    const received = await insertRow({ status: 'received', dedupe_key: 'user.expired:7:2026-11-28T12:00:00.000Z' });
    expect((await retry(invalid)).body).to.deep.equal({ detail: 'A webhook with an invalid signature is never processed' });
    expect((await retry(invalid)).status).to.equal(409);
    expect((await retry(processed)).body).to.deep.equal({ detail: 'Only a failed webhook, or one that never reached the queue, can be retried' });
    expect((await retry('00000000-0000-4000-8000-000000000000')).status).to.equal(404);
    expect((await retry('not-a-uuid')).status).to.equal(422);
    const queued = await retry(received);
    expect(queued.status).to.equal(202);
    expect(queued.body.status).to.equal('queued');
    expect(await t.container.cradle.jobQueues.queue('webhooks').getJobState('remnawave-user.expired_7_2026-11-28T12_00_00.000Z')).to.equal('waiting');
    expect(await t.container.cradle.db('audit_logs').where({ action: 'webhook.retried' })).to.have.length(1);
  });

  it('when jobs pile up past the threshold, then /monitoring/health reports the queue degraded and /metrics has its gauges', async () => {
    const admin = await signedInAdmin(t, 'admin');
    for (const n of [1, 2, 3]) await postCryptoPay(t.http, `{"update_type":"invoice_paid","payload":{"invoice_id":${n}}}`);
    const health = await t.http.get('/api/v1/monitoring/health').set(admin.bearer);
    expect(health.body.status).to.equal('degraded');
    expect(health.body.components.queues.status).to.equal('degraded');
    expect(health.body.components.queues.queues.webhooks).to.deep.include({ status: 'degraded', waiting: 3, active: 0, failed: 0, delayed: 0 });
    expect(health.body.components.queues.queues.notifications).to.deep.include({ status: 'ok', waiting: 0 });
    const metrics = await t.http.get('/metrics').set('Authorization', `Bearer ${TEST_METRICS_TOKEN}`);
    expect(metrics.text).to.match(/queue_jobs_waiting\{queue="webhooks"\} 3/);
    expect(metrics.text).to.match(/queue_jobs_waiting\{queue="notifications"\} 0/);
    expect(metrics.text).to.match(/queue_oldest_waiting_age_seconds\{queue="webhooks"\} \d+/);
  });

  it('when Redis is unreachable, then the queue gauges have no samples and the retry endpoint answers 503', async () => {
    const offline = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:9/0' });
    try {
      const metrics = await offline.http.get('/metrics').set('Authorization', `Bearer ${TEST_METRICS_TOKEN}`);
      expect(metrics.status).to.equal(200);
      expect(metrics.text).to.not.match(/queue_jobs_waiting\{/);
      const id = await insertRow({ dedupe_key: 'x' });
      const admin = await signedInAdmin(t, 'admin');
      const res = await offline.http.post(`/api/v1/admin/webhook-log/${id}/retry`).set(admin.bearer);
      expect(res.status).to.equal(503);
    } finally {
      await offline.close();
    }
  });

  it('when a job runs, then its scope carries the job id into log lines and audit entries; a job without a handler fails', async () => {
    const runtime = new WorkerRuntime(t.container, [
      {
        queue: 'notifications',
        handlers: {
          audited: async (_job: Job, scope) => {
            scope.cradle.logger.warn('inside the job');
            await scope.cradle.auditService.record({ action: 'test.job_action', adminId: null });
          },
        },
      },
    ]);
    runtime.start();
    try {
      await t.container.cradle.jobQueues.add('notifications', 'audited', {}, { jobId: 'scope-probe-1' });
      await t.container.cradle.jobQueues.add('notifications', 'unknown', {}, { jobId: 'scope-probe-2' });
      const [entry] = await eventually(() => t.container.cradle.db('audit_logs').where({ action: 'test.job_action' }), (rows) => rows.length === 1);
      expect(entry).to.include({ job_id: 'scope-probe-1', ip: null });
      expect(entry.request_id).to.be.a('string');
      const line = t.logs.entries.find((logged) => logged.message === 'inside the job');
      expect(line).to.include({ job_id: 'scope-probe-1', request_id: entry.request_id });
      await eventually(() => t.container.cradle.jobQueues.queue('notifications').getJobState('scope-probe-2'), (state) => state === 'failed');
      expect(runtime.running).to.equal(true);
    } finally {
      await runtime.stop();
    }
    expect(runtime.running).to.equal(false);
  });
});

import { expect } from 'chai';
import { notificationJobId } from '../../../src/modules/notifications/notification-dispatcher';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { DEFAULT_PASSWORD } from '../../support/fixtures';
import { reauthenticate } from '../../support/auth-helpers';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

describe('notifications: POST/GET/DELETE /notifications', function () {
  this.timeout(30_000);
  let s: PanelSuite;
  const rows = () => s.t.container.cradle.db('notification_queue');
  const jobOf = (id: string) => s.t.container.cradle.jobQueues.queue('notifications').getJob(notificationJobId(id));

  before(async () => {
    s = await panelSuite();
  });
  beforeEach(async () => {
    await rows().del();
    await s.t.container.cradle.db('audit_logs').where({ entity_type: 'notification' }).del();
  });
  after(() => s.close());

  const post = (body: unknown, auth = s.as.support.bearer) => s.t.http.post('/api/v1/notifications').set(auth).send(body as object);

  it('when a support admin sends to a Telegram id, then the escaped text is queued, its job added now, and the creation audited', async () => {
    const res = await post({ telegram_id: 424242, message: 'Renew <now> & save' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ telegram_id: 424242, to_admins: false, message: 'Renew &lt;now&gt; &amp; save', status: 'pending', attempts: 0, send_at: null });
    expect(res.body.created_by).to.equal(s.as.support.id);
    const job = await jobOf(res.body.id);
    expect(job?.name).to.equal('deliver');
    expect(job?.data).to.deep.equal({ notificationId: res.body.id });
    expect(job?.opts.delay ?? 0).to.equal(0);
    const audit = await s.auditOf('notification');
    expect(audit.map((entry) => [entry.action, entry.entity_id, entry.admin_id])).to.deep.equal([['notification.created', res.body.id, s.as.support.id]]);
  });

  it('when send_at is in the future, then the job is delayed until then; a past send_at means now', async () => {
    const at = new Date(Date.now() + 60_000);
    const later = await post({ telegram_id: 1, message: 'later', send_at: at.toISOString() });
    expect(later.status).to.equal(201);
    expect(later.body.send_at).to.equal(at.toISOString());
    const job = await jobOf(later.body.id);
    expect(job!.opts.delay).to.be.within(50_000, 60_000);
    expect(await job!.getState()).to.equal('delayed');
    const past = await post({ telegram_id: 1, message: 'past', send_at: new Date(Date.now() - 60_000).toISOString() });
    expect(past.body.send_at).to.equal(null);
  });

  it('when sent to the admins, then one row is queued for them (resolved when it is sent)', async () => {
    const res = await post({ admins: true, message: 'maintenance at 22:00' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ telegram_id: null, to_admins: true });
  });

  it('when the body names both targets, none, or an invalid one, then 422 lists the problem', async () => {
    for (const body of [{ telegram_id: 1, admins: true, message: 'x' }, { message: 'x' }, { admins: false, message: 'x' }, { telegram_id: -5, message: 'x' }, { telegram_id: 1, message: '   ' }]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
      expect(res.body.detail).to.be.an('array').that.is.not.empty;
    }
    expect(await rows()).to.have.length(0);
  });

  it('when the text is longer than 4096 characters once escaped, then 422 on body.message and nothing is queued', async () => {
    const fits = await post({ telegram_id: 1, message: 'a'.repeat(4096) });
    expect(fits.status).to.equal(201);
    const grows = await post({ telegram_id: 1, message: '&'.repeat(1000) });
    expect(grows.status).to.equal(422);
    expect(grows.body.detail[0].loc).to.deep.equal(['body', 'message']);
    expect((await post({ telegram_id: 1, message: 'a'.repeat(4097) })).status).to.equal(422);
    expect(await rows()).to.have.length(1);
  });

  it('when a viewer sends, then 403; when a viewer lists, then the page comes newest first with its status filter', async () => {
    expect((await post({ telegram_id: 1, message: 'x' }, s.as.viewer.bearer)).status).to.equal(403);
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) ids.push((await post({ telegram_id: 1, message: text })).body.id);
    await rows().where({ id: ids[0] }).update({ status: 'sent', sent_at: new Date() });
    const all = await s.t.http.get('/api/v1/notifications').query({ page_size: 2 }).set(s.as.viewer.bearer);
    expect(all.status).to.equal(200);
    expect(all.body).to.include({ total: 3, page: 1, page_size: 2 });
    expect(all.body.items.map((item: { message: string }) => item.message)).to.deep.equal(['three', 'two']);
    const sent = await s.t.http.get('/api/v1/notifications').query({ status: 'sent' }).set(s.as.viewer.bearer);
    expect(sent.body.items.map((item: { id: string }) => item.id)).to.deep.equal([ids[0]]);
    expect((await s.t.http.get('/api/v1/notifications').query({ status: 'lost' }).set(s.as.viewer.bearer)).status).to.equal(422);
  });

  it('when a pending notification is cancelled, then it is cancelled, its job removed and audited; again, or once sent, 409; unknown, 404', async () => {
    const created = await post({ telegram_id: 1, message: 'x', send_at: new Date(Date.now() + 60_000).toISOString() });
    const cancel = (id: string) => s.t.http.delete(`/api/v1/notifications/${id}`).set(s.as.support.bearer);
    expect((await cancel(created.body.id)).status).to.equal(204);
    expect((await rows().where({ id: created.body.id }).first()).status).to.equal('cancelled');
    expect(await jobOf(created.body.id)).to.equal(undefined);
    expect((await s.auditOf('notification')).map((entry) => entry.action)).to.deep.equal(['notification.created', 'notification.cancelled']);
    const again = await cancel(created.body.id);
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.equal({ detail: 'The notification is already sent, failed, cancelled or being sent' });
    const sent = await post({ telegram_id: 1, message: 'y' });
    await rows().where({ id: sent.body.id }).update({ status: 'sent' });
    expect((await cancel(sent.body.id)).status).to.equal(409);
    const missing = await cancel('00000000-0000-4000-8000-000000000001');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'Notification not found' });
    expectCleanBody(missing);
    expect((await s.t.http.delete(`/api/v1/notifications/${created.body.id}`).set(s.as.viewer.bearer)).status).to.equal(403);
  });

  it('when a service sends with an API key, then the row names no admin and the audit entry names the key', async () => {
    await reauthenticate(s.t, s.as.super_admin.bearer, DEFAULT_PASSWORD);
    const key = await s.t.http.post('/api/v1/admins/api-keys').set(s.as.super_admin.bearer).send({ name: 'telegram-bot', role: 'support' });
    expect(key.status).to.equal(201);
    const res = await post({ telegram_id: 5, message: 'from the bot' }, { Authorization: `Bearer ${key.body.key}` });
    expect(res.status).to.equal(201);
    expect(res.body.created_by).to.equal(null);
    const [entry] = await s.auditOf('notification');
    expect(entry).to.include({ admin_id: null, api_key_id: key.body.id });
  });
});

import { expect } from 'chai';
import type { AuditEntry } from '../../../src/modules/audit/audit.repository';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { auditRowsOf, expectNoSecrets, signedInAdmin } from './helpers';

describe('admin logs: GET /admin/audit-log', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  async function seed(entries: Array<Partial<AuditEntry> & { action: string; created_at: Date }>): Promise<void> {
    await t.container.cradle.db('audit_logs').insert(entries);
  }

  const at = (iso: string) => new Date(iso);

  it('when filtered by actor, action, entity type and time, then only matching entries come, newest first, with the true total', async () => {
    const reader = await signedInAdmin(t, 'admin');
    const other = await createAdmin(t.container, { role: 'viewer' });
    await t.container.cradle.db('audit_logs').del(); // the reader's own login is not part of the fixture
    await seed([
      { admin_id: other.id, action: 'plan.created', entity_type: 'plan', created_at: at('2026-01-01T10:00:00Z') },
      { admin_id: other.id, action: 'plan.updated', entity_type: 'plan', created_at: at('2026-01-02T10:00:00Z') },
      { admin_id: other.id, action: 'plan.updated', entity_type: 'plan', created_at: at('2026-01-03T10:00:00Z') },
      { admin_id: reader.id, action: 'plan.updated', entity_type: 'plan', created_at: at('2026-01-04T10:00:00Z') },
      { admin_id: other.id, action: 'admin.updated', entity_type: 'admin', created_at: at('2026-01-05T10:00:00Z') },
    ]);
    const list = (query: Record<string, string | number>) => t.http.get('/api/v1/admin/audit-log').query(query).set(reader.bearer);

    const all = await list({});
    expect(all.status).to.equal(200);
    expect(all.body).to.include({ total: 5, page: 1, page_size: 20 });
    expect(all.body.items.map((item: AuditEntry) => item.created_at)).to.deep.equal([
      '2026-01-05T10:00:00.000Z',
      '2026-01-04T10:00:00.000Z',
      '2026-01-03T10:00:00.000Z',
      '2026-01-02T10:00:00.000Z',
      '2026-01-01T10:00:00.000Z',
    ]);
    expect(all.body.items[0]).to.have.keys(
      'id', 'admin_id', 'api_key_id', 'action', 'entity_type', 'entity_id', 'old_value', 'new_value', 'ip', 'user_agent', 'request_id', 'job_id', 'created_at',
    );

    const byActorAndAction = await list({ admin_id: other.id, action: 'plan.updated' });
    expect(byActorAndAction.body.total).to.equal(2);
    expect((await list({ entity_type: 'admin' })).body.total).to.equal(1);

    // from is inclusive, to exclusive.
    const window = await list({ from: '2026-01-02T10:00:00Z', to: '2026-01-04T10:00:00Z' });
    expect(window.body.items.map((item: AuditEntry) => item.created_at)).to.deep.equal(['2026-01-03T10:00:00.000Z', '2026-01-02T10:00:00.000Z']);

    const secondPage = await list({ entity_type: 'plan', page: 2, page_size: 3 });
    expect(secondPage.body).to.include({ total: 4, page: 2, page_size: 3 });
    expect(secondPage.body.items.map((item: AuditEntry) => item.created_at)).to.deep.equal(['2026-01-01T10:00:00.000Z']);
  });

  it('when the filters are malformed or from is after to, then 422', async () => {
    const reader = await signedInAdmin(t, 'admin');
    for (const query of [
      { admin_id: 'nope' },
      { from: 'yesterday' },
      { from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      { page_size: 101 },
      { page: 0 },
    ]) {
      const res = await t.http.get('/api/v1/admin/audit-log').query(query).set(reader.bearer);
      expect(res.status, JSON.stringify(query)).to.equal(422);
    }
    expect((await t.http.get('/api/v1/admin/audit-log').query({ to: '2026-01-01' }).set(reader.bearer)).status).to.equal(200);
  });

  it('when a role without audit_read asks, then 403; without a token, 401', async () => {
    for (const role of ['operator', 'support', 'viewer'] as const) {
      const caller = await signedInAdmin(t, role);
      expect((await t.http.get('/api/v1/admin/audit-log').set(caller.bearer)).status, role).to.equal(403);
    }
    expect((await t.http.get('/api/v1/admin/audit-log')).status).to.equal(401);
  });

  it('when plans are created, changed and deleted, then each change is audited with old and new values and the request id', async () => {
    const manager = await signedInAdmin(t, 'admin');
    const created = await t.http
      .post('/api/v1/plans')
      .set(manager.bearer)
      .send({ name: 'Basic', tier: 'standard', duration_days: 30, price: 4.99, currency: 'USD' });
    expect(created.status).to.equal(201);
    const id = created.body.id as string;
    const updated = await t.http.patch(`/api/v1/plans/${id}`).set(manager.bearer).send({ price: 5.99 });
    expect(updated.status).to.equal(200);
    const deleted = await t.http.delete(`/api/v1/plans/${id}`).set(manager.bearer);
    expect(deleted.status).to.equal(204);

    const [create] = await auditRowsOf(t, created.headers['x-request-id'] as string);
    expect(create).to.include({ action: 'plan.created', admin_id: manager.id, entity_type: 'plan', entity_id: id, old_value: null });
    expect(create?.new_value).to.include({ name: 'Basic', price: '4.99' });
    const [update] = await auditRowsOf(t, updated.headers['x-request-id'] as string);
    expect(update).to.include({ action: 'plan.updated', entity_id: id });
    expect(update?.old_value).to.include({ price: '4.99' });
    expect(update?.new_value).to.include({ price: '5.99' });
    const [remove] = await auditRowsOf(t, deleted.headers['x-request-id'] as string);
    expect(remove).to.include({ action: 'plan.deleted', entity_id: id, new_value: null });
    expect(remove?.old_value).to.include({ name: 'Basic' });

    const listed = await t.http.get('/api/v1/admin/audit-log').query({ entity_type: 'plan' }).set(manager.bearer);
    expect(listed.body.items.map((item: AuditEntry) => item.action)).to.deep.equal(['plan.deleted', 'plan.updated', 'plan.created']);
    expect(listed.body.items[0].request_id).to.equal(deleted.headers['x-request-id']);
    expectNoSecrets(listed.body.items);
  });

  it('when an admin logs in, then the log shows it with ip, user agent and request id and no secret', async () => {
    const reader = await signedInAdmin(t, 'admin');
    const login = await t.http
      .post('/api/v1/auth/login')
      .set('User-Agent', 'audit-test/1.0')
      .send({ login_or_email: reader.login, password: reader.password });
    const listed = await t.http.get('/api/v1/admin/audit-log').query({ action: 'auth.login_succeeded', admin_id: reader.id }).set(reader.bearer);
    expect(listed.body.total).to.equal(2);
    expect(listed.body.items[0]).to.include({ request_id: login.headers['x-request-id'], user_agent: 'audit-test/1.0' });
    expect(listed.body.items[0].ip).to.be.a('string').and.not.empty;
    expect(JSON.stringify(listed.body)).to.not.include(reader.password);
  });
});

import { expect } from 'chai';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { inDays, panelSuite, type PanelSuite } from '../../support/panel-suite';

const USER_KEYS = [
  'id', 'short_uuid', 'username', 'status', 'expire_at', 'traffic_limit_bytes', 'used_traffic_bytes',
  'online_at', 'email', 'telegram_id', 'description', 'subscription_url', 'created_at',
];

describe('VPN users: CRUD and actions through the panel', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    s.fake.reset();
    await s.t.container.cradle.db('audit_logs').where({ entity_type: 'vpn_user' }).del();
  });

  const api = () => s.t.http;

  it('GET /users/:id: our shape (snake_case, lower-case status), never the panel\'s', async () => {
    const seeded = s.fake.seedUser({ username: 'alice', status: 'LIMITED', telegramId: 777, email: 'a@example.test', usedTrafficBytes: 512 });
    const res = await api().get(`/api/v1/users/${seeded.id}`).set(s.as.viewer.bearer);
    expect(res.status).to.equal(200);
    expect(res.body).to.have.keys(USER_KEYS);
    expect(res.body).to.include({ id: seeded.id, username: 'alice', status: 'limited', telegram_id: 777, email: 'a@example.test', used_traffic_bytes: 512 });
    expect(res.text).to.not.include('trojanPassword').and.not.include('vlessUuid').and.not.include('userTraffic');
  });

  it('GET /users/:id of a missing user: 404 "VPN user not found", nothing of the panel', async () => {
    const res = await api().get('/api/v1/users/4242').set(s.as.viewer.bearer);
    expect(res.status).to.equal(404);
    expect(res.body).to.deep.equal({ detail: 'VPN user not found' });
    expectCleanBody(res, ['A025', 'User not found', '127.0.0.1']);
  });

  it('GET /users/:id with a non-numeric id: 422', async () => {
    expect((await api().get('/api/v1/users/abc').set(s.as.viewer.bearer)).status).to.equal(422);
  });

  it('POST /users creates in the panel, answers 201 and audits the new value without the subscription link', async () => {
    const res = await api()
      .post('/api/v1/users')
      .set(s.as.operator.bearer)
      .send({ username: 'new_user-1', expire_at: inDays(30), traffic_limit_bytes: 10_000, email: 'n@example.test', telegram_id: 123, description: 'trial' });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ username: 'new_user-1', status: 'active', traffic_limit_bytes: 10_000, telegram_id: 123, email: 'n@example.test' });
    const stored = s.fake.user(res.body.id);
    expect(stored).to.include({ username: 'new_user-1', trafficLimitBytes: 10_000, telegramId: 123, description: 'trial' });

    const [entry] = await s.vpnAudit();
    expect(entry).to.include({ action: 'vpn_user.created', entity_id: String(res.body.id), admin_id: s.as.operator.id });
    expect(JSON.stringify(entry?.new_value)).to.include('new_user-1').and.not.include(stored?.shortUuid as string).and.not.include('subscription_url');
  });

  it('POST /users with a taken username: 409 "VPN user already exists", nothing audited', async () => {
    s.fake.seedUser({ username: 'taken' });
    const res = await api().post('/api/v1/users').set(s.as.admin.bearer).send({ username: 'taken', expire_at: inDays(3) });
    expect(res.status).to.equal(409);
    expect(res.body).to.deep.equal({ detail: 'VPN user already exists' });
    expect(await s.vpnAudit()).to.have.length(0);
  });

  it('POST /users with a bad username or a past expiry: our 422, the panel not called', async () => {
    for (const body of [{ username: 'ab', expire_at: inDays(3) }, { username: 'bad name!', expire_at: inDays(3) }, { username: 'okname', expire_at: inDays(-1) }]) {
      const res = await api().post('/api/v1/users').set(s.as.admin.bearer).send(body);
      expect(res.status, JSON.stringify(body)).to.equal(422);
    }
    expect(s.fake.requests).to.have.length(0);
  });

  it('POST /users the panel refuses: 422 with a safe message', async () => {
    s.fake.failNext('rejected');
    const res = await api().post('/api/v1/users').set(s.as.admin.bearer).send({ username: 'refused', expire_at: inDays(3) });
    expect(res.status).to.equal(422);
    expect(res.body).to.deep.equal({ detail: 'The VPN panel refused these values' });
    expectCleanBody(res, ['Expiration date cannot be in the past', 'Validation failed']);
  });

  it('PATCH /users/:id changes the panel user with absolute values and audits old and new', async () => {
    const seeded = s.fake.seedUser({ username: 'patchme', trafficLimitBytes: 1 });
    const expire = inDays(60);
    const res = await api()
      .patch(`/api/v1/users/${seeded.id}`)
      .set(s.as.support.bearer)
      .send({ traffic_limit_bytes: 2048, expire_at: expire, description: 'changed', status: 'disabled', email: null });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ traffic_limit_bytes: 2048, description: 'changed', status: 'disabled', expire_at: expire });
    const patch = s.fake.requests.find((r) => r.method === 'PATCH');
    expect(patch?.body).to.include({ id: seeded.id, trafficLimitBytes: 2048, status: 'DISABLED', email: null });
    const [entry] = await s.vpnAudit();
    expect(entry?.action).to.equal('vpn_user.updated');
    expect(entry?.old_value).to.include({ traffic_limit_bytes: 1, status: 'active' });
    expect(entry?.new_value).to.include({ traffic_limit_bytes: 2048, status: 'disabled' });
  });

  it('PATCH /users/:id with an empty body or an unknown user: 422 / 404', async () => {
    const seeded = s.fake.seedUser();
    expect((await api().patch(`/api/v1/users/${seeded.id}`).set(s.as.admin.bearer).send({})).status).to.equal(422);
    expect((await api().patch('/api/v1/users/999').set(s.as.admin.bearer).send({ description: 'x' })).status).to.equal(404);
  });

  it('DELETE /users/:id removes the panel user, 204, audited with the old value', async () => {
    const seeded = s.fake.seedUser({ username: 'gone' });
    const res = await api().delete(`/api/v1/users/${seeded.id}`).set(s.as.admin.bearer);
    expect(res.status).to.equal(204);
    expect(s.fake.user(seeded.id)).to.equal(undefined);
    const [entry] = await s.vpnAudit();
    expect(entry).to.include({ action: 'vpn_user.deleted', entity_id: String(seeded.id) });
    expect(entry?.old_value).to.include({ username: 'gone' });
  });

  for (const [action, check, audit] of [
    ['disable', (u: { status: string }) => expect(u.status).to.equal('disabled'), 'vpn_user.disabled'],
    ['enable', (u: { status: string }) => expect(u.status).to.equal('active'), 'vpn_user.enabled'],
    ['reset-traffic', (u: { used_traffic_bytes: number }) => expect(u.used_traffic_bytes).to.equal(0), 'vpn_user.traffic_reset'],
  ] as const) {
    it(`POST /users/:id/${action} runs the panel action and audits ${audit}`, async () => {
      const seeded = s.fake.seedUser({ status: action === 'enable' ? 'DISABLED' : 'ACTIVE', usedTrafficBytes: 99 });
      const res = await api().post(`/api/v1/users/${seeded.id}/${action}`).set(s.as.support.bearer);
      expect(res.status).to.equal(200);
      (check as (u: unknown) => void)(res.body);
      expect((await s.vpnAudit()).map((e) => e.action)).to.deep.equal([audit]);
    });
  }

  it('POST /users/:id/revoke gives a new subscription link; neither link reaches the audit log', async () => {
    const seeded = s.fake.seedUser();
    const before = (await api().get(`/api/v1/users/${seeded.id}`).set(s.as.admin.bearer)).body;
    const res = await api().post(`/api/v1/users/${seeded.id}/revoke`).set(s.as.admin.bearer);
    expect(res.status).to.equal(200);
    expect(res.body.subscription_url).to.not.equal(before.subscription_url);
    const entries = await s.vpnAudit();
    expect(entries.map((e) => e.action)).to.deep.equal(['vpn_user.subscription_revoked']);
    const text = JSON.stringify(entries);
    expect(text).to.not.include(before.short_uuid).and.not.include(res.body.short_uuid);
  });

  it('POST /users/:id/<action> of a missing user: 404, nothing audited', async () => {
    expect((await api().post('/api/v1/users/31337/disable').set(s.as.admin.bearer)).status).to.equal(404);
    expect(await s.vpnAudit()).to.have.length(0);
  });

  describe('permissions from the matrix', () => {
    const cases: Array<[string, string, () => object | undefined, 'viewer' | 'support' | 'operator']> = [
      ['post', '/api/v1/users', () => ({ username: 'denied', expire_at: inDays(3) }), 'support'],
      ['patch', '/api/v1/users/1', () => ({ description: 'x' }), 'viewer'],
      ['delete', '/api/v1/users/1', () => undefined, 'operator'],
      ['post', '/api/v1/users/1/enable', () => undefined, 'viewer'],
      ['post', '/api/v1/users/1/disable', () => undefined, 'viewer'],
      ['post', '/api/v1/users/1/reset-traffic', () => undefined, 'viewer'],
      ['post', '/api/v1/users/1/revoke', () => undefined, 'viewer'],
      ['post', '/api/v1/users/bulk/enable', () => ({ ids: [1] }), 'viewer'],
      ['post', '/api/v1/users/bulk/disable', () => ({ ids: [1] }), 'viewer'],
      ['post', '/api/v1/users/bulk/reset-traffic', () => ({ ids: [1] }), 'viewer'],
      ['post', '/api/v1/users/bulk/extend', () => ({ ids: [1], days: 1 }), 'viewer'],
      ['post', '/api/v1/users/bulk/delete', () => ({ ids: [1] }), 'operator'],
    ];
    for (const [method, path, body, role] of cases) {
      it(`${method.toUpperCase()} ${path} as ${role}: 403, the panel not called`, async () => {
        s.fake.seedUser();
        const call = (api() as unknown as Record<string, (p: string) => import('supertest').Test>)[method]!(path).set(s.as[role].bearer);
        const res = await (body() ? call.send(body()) : call);
        expect(res.status).to.equal(403);
        expect(res.body).to.deep.equal({ detail: 'Insufficient permissions' });
        expect(s.fake.requests).to.have.length(0);
      });
    }

    it('reads without a token: 401', async () => {
      expect((await api().get('/api/v1/users')).status).to.equal(401);
      expect((await api().get('/api/v1/users/1')).status).to.equal(401);
    });
  });
});

import { expect } from 'chai';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

const SERVER_KEYS = ['uuid', 'name', 'address', 'port', 'status', 'users_online', 'traffic_used_bytes', 'country_code'];

describe('servers (Remnawave nodes)', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase('server');
    await s.t.container.cradle.db('server_geolocations').del();
  });

  const api = () => s.t.http;
  const storedLocations = async () => Number((await s.t.container.cradle.db('server_geolocations').count({ n: '*' }))[0]?.n);
  const infra = () => s.fake.infra;

  it('GET /servers: a bare array of our rows, status derived from the panel flags', async () => {
    const online = infra().seedNode({ name: 'de-1', usersOnline: 7, trafficUsedBytes: 1234 });
    const warning = infra().seedNode({ isConnected: false, isConnecting: true });
    const maintenance = infra().seedNode({ isDisabled: true, isConnected: true });
    const offline = infra().seedNode({ isConnected: false, countryCode: 'XX', trafficUsedBytes: null });
    const res = await api().get('/api/v1/servers').set(s.as.viewer.bearer);
    expect(res.status).to.equal(200);
    expect(res.body).to.be.an('array').with.length(4);
    expect(res.body[0]).to.have.keys(SERVER_KEYS);
    const byUuid = Object.fromEntries(res.body.map((row: { uuid: string }) => [row.uuid, row]));
    expect(byUuid[online.uuid]).to.include({ name: 'de-1', status: 'online', users_online: 7, traffic_used_bytes: 1234, country_code: 'DE', port: 2222 });
    expect(byUuid[warning.uuid].status).to.equal('warning');
    expect(byUuid[maintenance.uuid].status).to.equal('maintenance');
    expect(byUuid[offline.uuid]).to.include({ status: 'offline', country_code: null, traffic_used_bytes: 0 });
  });

  it('GET /servers/ (trailing slash) routes the same', async () => {
    infra().seedNode();
    const res = await api().get('/api/v1/servers/').set(s.as.viewer.bearer);
    expect(res.status).to.equal(200);
    expect(res.body).to.have.length(1);
  });

  it('GET /servers/stats: counts by status, warning and maintenance included', async () => {
    infra().seedNode();
    infra().seedNode();
    infra().seedNode({ isConnected: false, isConnecting: true });
    infra().seedNode({ isDisabled: true });
    infra().seedNode({ isConnected: false });
    const res = await api().get('/api/v1/servers/stats').set(s.as.viewer.bearer);
    expect(res.body).to.deep.equal({ total: 5, online: 2, offline: 1, warning: 1, maintenance: 1, disabled: 1 });
  });

  it('GET /servers/:uuid: one row; a missing one 404 "Server not found"; a bad uuid 422', async () => {
    const node = infra().seedNode({ name: 'one' });
    expect((await api().get(`/api/v1/servers/${node.uuid}`).set(s.as.viewer.bearer)).body).to.include({ uuid: node.uuid, name: 'one' });
    const missing = await api().get('/api/v1/servers/8a6c1d7e-1f1e-4c59-9d57-8b0c52bb1111').set(s.as.viewer.bearer);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'Server not found' });
    expectCleanBody(missing, ['A011', 'Node not found']);
    expect((await api().get('/api/v1/servers/not-a-uuid').set(s.as.viewer.bearer)).status).to.equal(422);
  });

  it('POST /servers with just {name, address, port}: the first config profile and all its inbounds, 201, audited', async () => {
    const second = infra().seedProfile(1, { viewPosition: 2 });
    const first = infra().seedProfile(3, { viewPosition: 1 });
    const res = await api().post('/api/v1/servers').set(s.as.operator.bearer).send({ name: 'nl-amsterdam', address: 'nl1.example.test', port: 2222 });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ name: 'nl-amsterdam', address: 'nl1.example.test', port: 2222 });
    const stored = infra().nodes.get(res.body.uuid);
    expect(stored?.activeConfigProfileUuid).to.equal(first.uuid).and.not.equal(second.uuid);
    expect(stored?.activeInbounds).to.have.members(first.inbounds.map((i) => i.uuid));
    expect((await s.auditOf('server')).map((e) => [e.action, e.entity_id])).to.deep.equal([['server.created', res.body.uuid]]);
  });

  it('POST /servers naming a profile and inbounds uses them; unknown ones are 422; no profile at all 409', async () => {
    const profile = infra().seedProfile(2);
    const chosen = profile.inbounds[1]?.uuid as string;
    const ok = await api()
      .post('/api/v1/servers')
      .set(s.as.admin.bearer)
      .send({ name: 'fi-1', address: 'fi.example.test', config_profile_uuid: profile.uuid, inbound_uuids: [chosen], country_code: 'fi' });
    expect(ok.status).to.equal(201);
    expect(ok.body.country_code).to.equal('FI');
    expect(infra().nodes.get(ok.body.uuid)?.activeInbounds).to.deep.equal([chosen]);

    const unknownProfile = await api().post('/api/v1/servers').set(s.as.admin.bearer).send({ name: 'x-1', address: 'x.test', config_profile_uuid: '0b4e1b8e-7a39-4a57-9d0e-6fd3a9a2f000' });
    expect(unknownProfile.status).to.equal(422);
    const unknownInbound = await api().post('/api/v1/servers').set(s.as.admin.bearer).send({ name: 'x-2', address: 'x.test', inbound_uuids: ['0b4e1b8e-7a39-4a57-9d0e-6fd3a9a2f000'] });
    expect(unknownInbound.status).to.equal(422);

    infra().profiles.length = 0;
    const none = await api().post('/api/v1/servers').set(s.as.admin.bearer).send({ name: 'x-3', address: 'x.test' });
    expect(none.status).to.equal(409);
    expect(none.body).to.deep.equal({ detail: 'The VPN panel has no config profile to give the server' });
  });

  for (const method of ['patch', 'put'] as const) {
    it(`${method.toUpperCase()} /servers/:uuid changes the node and audits old and new`, async () => {
      const node = infra().seedNode({ name: 'old-name' });
      const res = await api()[method](`/api/v1/servers/${node.uuid}`).set(s.as.operator.bearer).send({ name: 'new-name', port: 3333 });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ name: 'new-name', port: 3333 });
      expect(infra().nodes.get(node.uuid)).to.include({ name: 'new-name', port: 3333 });
      const [entry] = await s.auditOf('server');
      expect(entry?.old_value).to.include({ name: 'old-name' });
      expect(entry?.new_value).to.include({ name: 'new-name' });
    });
  }

  it('DELETE /servers/:uuid removes the node, 204, audited', async () => {
    const node = infra().seedNode();
    expect((await api().delete(`/api/v1/servers/${node.uuid}`).set(s.as.admin.bearer)).status).to.equal(204);
    expect(infra().nodes.has(node.uuid)).to.equal(false);
    expect((await s.auditOf('server')).map((e) => e.action)).to.deep.equal(['server.deleted']);
  });

  it('POST /servers/:uuid/disable then enable: maintenance then back; restart answers 202', async () => {
    const node = infra().seedNode();
    const disabled = await api().post(`/api/v1/servers/${node.uuid}/disable`).set(s.as.operator.bearer);
    expect(disabled.body.status).to.equal('maintenance');
    const enabled = await api().post(`/api/v1/servers/${node.uuid}/enable`).set(s.as.operator.bearer);
    expect(enabled.status).to.equal(200);
    expect(infra().nodes.get(node.uuid)?.isDisabled).to.equal(false);
    const restart = await api().post(`/api/v1/servers/${node.uuid}/restart`).set(s.as.operator.bearer);
    expect(restart.status).to.equal(202);
    expect(s.fake.requests.find((r) => r.path.endsWith('/restart'))?.body).to.deep.equal({ forceRestart: false });
    expect((await s.auditOf('server')).map((e) => e.action)).to.deep.equal(['server.disabled', 'server.enabled', 'server.restarted']);
  });

  describe('geolocation and the map', () => {
    it('PUT /servers/:uuid/geolocation stores the position (then replaces it), audited', async () => {
      const node = infra().seedNode();
      const first = await api().put(`/api/v1/servers/${node.uuid}/geolocation`).set(s.as.operator.bearer).send({ country_code: 'de', city: 'Frankfurt', latitude: 50.11, longitude: 8.68 });
      expect(first.status).to.equal(200);
      expect(first.body).to.include({ node_uuid: node.uuid, country_code: 'DE', city: 'Frankfurt', latitude: 50.11, longitude: 8.68 });
      const second = await api().put(`/api/v1/servers/${node.uuid}/geolocation`).set(s.as.operator.bearer).send({ country_code: 'DE', latitude: 52.52, longitude: 13.4 });
      expect(second.body).to.include({ latitude: 52.52, city: null });
      expect(await storedLocations()).to.equal(1);
      const entries = await s.auditOf('server');
      expect(entries.map((e) => e.action)).to.deep.equal(['server.geolocation_set', 'server.geolocation_set']);
      expect(entries[1]?.old_value).to.include({ city: 'Frankfurt' });
    });

    it('PUT /servers/:uuid/geolocation out of bounds: 422; for a node the panel does not know: 404, nothing stored', async () => {
      const node = infra().seedNode();
      for (const body of [
        { country_code: 'DE', latitude: 91, longitude: 0 },
        { country_code: 'DE', latitude: 0, longitude: -181 },
        { country_code: 'DEU', latitude: 0, longitude: 0 },
        { country_code: 'DE', latitude: 'NaN', longitude: 0 },
      ]) {
        expect((await api().put(`/api/v1/servers/${node.uuid}/geolocation`).set(s.as.admin.bearer).send(body)).status, JSON.stringify(body)).to.equal(422);
      }
      const missing = await api().put('/api/v1/servers/8a6c1d7e-1f1e-4c59-9d57-8b0c52bb1111/geolocation').set(s.as.admin.bearer).send({ country_code: 'DE', latitude: 1, longitude: 1 });
      expect(missing.status).to.equal(404);
      expect(await storedLocations()).to.equal(0);
    });

    it('GET /servers/map: every node with status and location, nodes without one included (location null)', async () => {
      const placed = infra().seedNode({ name: 'placed' });
      const unplaced = infra().seedNode({ name: 'unplaced', isDisabled: true });
      await api().put(`/api/v1/servers/${placed.uuid}/geolocation`).set(s.as.admin.bearer).send({ country_code: 'NL', city: 'Amsterdam', latitude: 52.37, longitude: 4.9 });
      const res = await api().get('/api/v1/servers/map').set(s.as.viewer.bearer);
      expect(res.status).to.equal(200);
      const byName = Object.fromEntries(res.body.map((row: { name: string }) => [row.name, row]));
      expect(byName.placed).to.deep.include({ uuid: placed.uuid, status: 'online', location: { country_code: 'NL', city: 'Amsterdam', latitude: 52.37, longitude: 4.9 } });
      expect(byName.unplaced).to.deep.include({ uuid: unplaced.uuid, status: 'maintenance', location: null });
    });
  });

  describe('panel failures', () => {
    // One call per case: the breaker, opened by the case before, is half-open again after the
    // pause in beforeEach, so this call is its probe and meets the failure itself.
    const calls: Array<[string, (uuid: string) => import('supertest').Test]> = [
      ['list', () => api().get('/api/v1/servers').set(s.as.admin.bearer)],
      ['create', () => api().post('/api/v1/servers').set(s.as.admin.bearer).send({ name: 'new-one', address: 'a.test' })],
      ['geolocation', (uuid) => api().put(`/api/v1/servers/${uuid}/geolocation`).set(s.as.admin.bearer).send({ country_code: 'DE', latitude: 1, longitude: 1 })],
    ];
    for (const [mode, status] of [['server_error', 502], ['garbage', 502], ['hang', 504]] as const) {
      for (const [name, call] of calls) {
        it(`when the panel fails with ${mode}, then ${name} answers ${status} and nothing is stored`, async () => {
          const node = infra().seedNode();
          infra().seedProfile();
          s.fake.failAlways(mode);
          const res = await call(node.uuid);
          expect(res.status).to.equal(status);
          expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
          expectCleanBody(res, [s.fake.url, 'db.panel.internal']);
          expect(await s.auditOf('server')).to.have.length(0);
          expect(await storedLocations()).to.equal(0);
          expect(infra().nodes.size).to.equal(1);
        });
      }
    }
  });

  describe('permissions from the matrix', () => {
    const uuid = '8a6c1d7e-1f1e-4c59-9d57-8b0c52bb1111';
    const cases: Array<[string, string, object | undefined, 'viewer' | 'support' | 'operator']> = [
      ['post', '/api/v1/servers', { name: 'denied', address: 'a.test' }, 'support'],
      ['patch', `/api/v1/servers/${uuid}`, { name: 'denied' }, 'viewer'],
      ['put', `/api/v1/servers/${uuid}`, { name: 'denied' }, 'support'],
      ['delete', `/api/v1/servers/${uuid}`, undefined, 'operator'],
      ['post', `/api/v1/servers/${uuid}/enable`, undefined, 'viewer'],
      ['post', `/api/v1/servers/${uuid}/disable`, undefined, 'support'],
      ['post', `/api/v1/servers/${uuid}/restart`, undefined, 'viewer'],
      ['put', `/api/v1/servers/${uuid}/geolocation`, { country_code: 'DE', latitude: 1, longitude: 1 }, 'support'],
    ];
    for (const [method, path, body, role] of cases) {
      it(`${method.toUpperCase()} ${path.replace(uuid, ':uuid')} as ${role}: 403, the panel not called`, async () => {
        const call = (api() as unknown as Record<string, (p: string) => import('supertest').Test>)[method]!(path).set(s.as[role].bearer);
        const res = await (body ? call.send(body) : call);
        expect(res.status).to.equal(403);
        expect(s.fake.requests).to.have.length(0);
      });
    }

    it('reads need a token', async () => {
      for (const path of ['/api/v1/servers', '/api/v1/servers/stats', '/api/v1/servers/map', `/api/v1/servers/${uuid}`]) {
        expect((await api().get(path)).status, path).to.equal(401);
      }
    });
  });
});

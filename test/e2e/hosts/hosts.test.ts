import { expect } from 'chai';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

const HOST_KEYS = ['uuid', 'name', 'address', 'port', 'sni', 'host_header', 'path', 'alpn', 'is_disabled', 'inbound_uuid'];

describe('hosts and inbounds', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase('host');
  });

  const api = () => s.t.http;
  const infra = () => s.fake.infra;

  it('GET /hosts (and /hosts/): a bare array of our fields', async () => {
    const host = infra().seedHost({ remark: 'main', sni: 'sni.example.test', host: 'cdn.example.test', path: '/ws', alpn: 'h2' });
    for (const path of ['/api/v1/hosts', '/api/v1/hosts/']) {
      const res = await api().get(path).set(s.as.viewer.bearer);
      expect(res.status).to.equal(200);
      expect(res.body).to.be.an('array').with.length(1);
      expect(res.body[0]).to.have.keys(HOST_KEYS);
      expect(res.body[0]).to.include({ uuid: host.uuid, name: 'main', sni: 'sni.example.test', host_header: 'cdn.example.test', path: '/ws', alpn: 'h2', is_disabled: false });
    }
  });

  it('GET /hosts/:uuid: one host; missing 404 "Host not found"', async () => {
    const host = infra().seedHost();
    expect((await api().get(`/api/v1/hosts/${host.uuid}`).set(s.as.viewer.bearer)).body.uuid).to.equal(host.uuid);
    const missing = await api().get('/api/v1/hosts/8a6c1d7e-1f1e-4c59-9d57-8b0c52bb1111').set(s.as.viewer.bearer);
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ detail: 'Host not found' });
    expectCleanBody(missing, ['A046']);
  });

  it('POST /hosts with the frontend fields: on the first inbound of the first profile by default, 201, audited', async () => {
    infra().seedProfile(1, { viewPosition: 5 });
    const first = infra().seedProfile(2, { viewPosition: 1 });
    const res = await api()
      .post('/api/v1/hosts')
      .set(s.as.operator.bearer)
      .send({ name: 'edge', address: 'edge.example.test', port: 8443, sni: 'sni.test', host_header: 'h.test', path: '/p', alpn: 'h3,h2', is_disabled: true });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ name: 'edge', port: 8443, sni: 'sni.test', host_header: 'h.test', path: '/p', alpn: 'h3,h2', is_disabled: true, inbound_uuid: first.inbounds[0]?.uuid });
    expect(infra().hosts.get(res.body.uuid)).to.include({ configProfileUuid: first.uuid, remark: 'edge', host: 'h.test' });
    expect((await s.auditOf('host')).map((e) => e.action)).to.deep.equal(['host.created']);
  });

  it('POST /hosts naming an inbound uses it and its profile; an unknown inbound 422; no inbound at all 409', async () => {
    infra().seedProfile(1);
    const other = infra().seedProfile(2);
    const inbound = other.inbounds[1]?.uuid as string;
    const res = await api().post('/api/v1/hosts').set(s.as.admin.bearer).send({ name: 'x', address: 'x.test', port: 443, inbound_uuid: inbound });
    expect(res.status).to.equal(201);
    expect(infra().hosts.get(res.body.uuid)).to.include({ configProfileUuid: other.uuid, configProfileInboundUuid: inbound });
    const unknown = await api().post('/api/v1/hosts').set(s.as.admin.bearer).send({ name: 'y', address: 'y.test', port: 443, inbound_uuid: '0b4e1b8e-7a39-4a57-9d0e-6fd3a9a2f000' });
    expect(unknown.status).to.equal(422);
    infra().profiles.length = 0;
    const none = await api().post('/api/v1/hosts').set(s.as.admin.bearer).send({ name: 'z', address: 'z.test', port: 443 });
    expect(none.status).to.equal(409);
    expect(none.body).to.deep.equal({ detail: 'The VPN panel has no inbound for the host' });
  });

  it('POST /hosts with a bad alpn or port: 422, the panel not called', async () => {
    for (const body of [{ name: 'a', address: 'a.test', port: 0 }, { name: 'a', address: 'a.test', port: 443, alpn: 'spdy' }, { address: 'a.test', port: 443 }]) {
      expect((await api().post('/api/v1/hosts').set(s.as.admin.bearer).send(body)).status, JSON.stringify(body)).to.equal(422);
    }
    expect(s.fake.requests).to.have.length(0);
  });

  for (const method of ['patch', 'put'] as const) {
    it(`${method.toUpperCase()} /hosts/:uuid changes the host, audited with old and new`, async () => {
      const host = infra().seedHost({ remark: 'before', sni: 'old.test' });
      const res = await api()[method](`/api/v1/hosts/${host.uuid}`).set(s.as.operator.bearer).send({ name: 'after', sni: '', is_disabled: true });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ name: 'after', sni: null, is_disabled: true });
      const [entry] = await s.auditOf('host');
      expect(entry?.old_value).to.include({ name: 'before', sni: 'old.test' });
      expect(entry?.new_value).to.include({ name: 'after', sni: null });
    });
  }

  it('PATCH /hosts/:uuid moving to another inbound sends it with its profile', async () => {
    const profile = infra().seedProfile(2);
    const host = infra().seedHost();
    const target = profile.inbounds[1]?.uuid as string;
    const res = await api().patch(`/api/v1/hosts/${host.uuid}`).set(s.as.admin.bearer).send({ inbound_uuid: target });
    expect(res.body.inbound_uuid).to.equal(target);
  });

  it('DELETE /hosts/:uuid removes it, 204, audited', async () => {
    const host = infra().seedHost();
    expect((await api().delete(`/api/v1/hosts/${host.uuid}`).set(s.as.admin.bearer)).status).to.equal(204);
    expect(infra().hosts.has(host.uuid)).to.equal(false);
    expect((await s.auditOf('host')).map((e) => e.action)).to.deep.equal(['host.deleted']);
  });

  it('GET /inbounds: a bare array of every profile\'s inbounds', async () => {
    const a = infra().seedProfile(2);
    const b = infra().seedProfile(1);
    const res = await api().get('/api/v1/inbounds').set(s.as.viewer.bearer);
    expect(res.status).to.equal(200);
    expect(res.body.map((i: { uuid: string }) => i.uuid)).to.have.members([...a.inbounds, ...b.inbounds].map((i) => i.uuid));
    expect(res.body[0]).to.have.keys('uuid', 'profile_uuid', 'tag', 'type', 'network', 'security', 'port');
    expect((await api().get('/api/v1/inbounds/').set(s.as.viewer.bearer)).status).to.equal(200);
  });

  for (const [mode, status] of [['server_error', 502], ['bad_shape', 502], ['hang', 504]] as const) {
    it(`when the panel fails with ${mode}, then a host update answers ${status}, nothing audited`, async () => {
      const host = infra().seedHost({ remark: 'kept' });
      s.fake.failAlways(mode);
      const res = await api().patch(`/api/v1/hosts/${host.uuid}`).set(s.as.admin.bearer).send({ name: 'lost' });
      expect(res.status).to.equal(status);
      expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
      expect(await s.auditOf('host')).to.have.length(0);
      expect(infra().hosts.get(host.uuid)?.remark).to.equal('kept');
    });
  }

  describe('permissions from the matrix', () => {
    const uuid = '8a6c1d7e-1f1e-4c59-9d57-8b0c52bb1111';
    const cases: Array<[string, string, object | undefined, 'viewer' | 'support' | 'operator']> = [
      ['post', '/api/v1/hosts', { name: 'a', address: 'a.test', port: 443 }, 'support'],
      ['patch', `/api/v1/hosts/${uuid}`, { name: 'a' }, 'viewer'],
      ['put', `/api/v1/hosts/${uuid}`, { name: 'a' }, 'support'],
      ['delete', `/api/v1/hosts/${uuid}`, undefined, 'operator'],
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
      for (const path of ['/api/v1/hosts', `/api/v1/hosts/${uuid}`, '/api/v1/inbounds']) expect((await api().get(path)).status, path).to.equal(401);
    });
  });
});

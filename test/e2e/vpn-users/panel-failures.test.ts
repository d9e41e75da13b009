import { expect } from 'chai';
import type { PanelFailure } from '../../fakes/remnawave';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { inDays, panelSuite, type PanelSuite } from '../../support/panel-suite';

/** The panel down, slow or talking nonsense: our 502/504 shape, and nothing recorded here. */
describe('VPN users: panel failures', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase('vpn_user');
  });

  const LEAKS = () => [s.fake.url, s.fake.token, '127.0.0.1', 'db.panel.internal', 'Server error', 'Remnawave', 'undici', 'A001'];

  const calls: Array<[string, (id: number) => import('supertest').Test]> = [
    ['list', () => s.t.http.get('/api/v1/users').set(s.as.admin.bearer)],
    ['read', (id) => s.t.http.get(`/api/v1/users/${id}`).set(s.as.admin.bearer)],
    ['create', () => s.t.http.post('/api/v1/users').set(s.as.admin.bearer).send({ username: 'during_outage', expire_at: inDays(5) })],
    ['update', (id) => s.t.http.patch(`/api/v1/users/${id}`).set(s.as.admin.bearer).send({ description: 'x' })],
    ['delete', (id) => s.t.http.delete(`/api/v1/users/${id}`).set(s.as.admin.bearer)],
    ['disable', (id) => s.t.http.post(`/api/v1/users/${id}/disable`).set(s.as.admin.bearer)],
    ['bulk disable', (id) => s.t.http.post('/api/v1/users/bulk/disable').set(s.as.admin.bearer).send({ ids: [id] })],
  ];
  const modes: Array<[PanelFailure, number]> = [
    ['server_error', 502],
    ['garbage', 502],
    ['bad_shape', 502],
    ['reset', 502],
    ['hang', 504],
  ];

  for (const [mode, status] of modes) {
    for (const [name, call] of calls) {
      it(`when the panel fails with ${mode}, then ${name} answers ${status} "Upstream service unavailable" and nothing is audited`, async () => {
        const seeded = s.fake.seedUser({ description: 'before' });
        s.fake.failAlways(mode);
        const res = await call(seeded.id);
        expect(res.status).to.equal(status);
        expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
        expectCleanBody(res, LEAKS());
        expect(await s.vpnAudit()).to.have.length(0);
        s.fake.heal();
        expect(s.fake.user(seeded.id)).to.include({ description: 'before', status: 'ACTIVE' });
      });
    }
  }

  it('when nothing listens at the panel address, then 502 and the breaker soon answers without waiting', async () => {
    const dead = await panelSuite({ REMNAWAVE_URL: 'http://127.0.0.1:9' });
    try {
      for (let i = 0; i < 4; i += 1) {
        const res = await dead.t.http.get('/api/v1/users/1').set(dead.as.viewer.bearer);
        expect(res.status).to.equal(502);
        expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
      }
      expect(dead.t.container.cradle.remnawaveClient.breakerState).to.equal(1 /* Open */);
    } finally {
      await dead.close();
    }
  });

  it('with the breaker open, each 502 is counted, not logged with its stack: one warn line per state change, no error line', async () => {
    // LOG_LEVEL info: what production logs; debug lines would not be seen there.
    const dead = await panelSuite({ REMNAWAVE_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info' });
    try {
      for (let i = 0; i < 4; i += 1) await dead.t.http.get('/api/v1/users/1').set(dead.as.viewer.bearer);
      expect(dead.t.container.cradle.remnawaveClient.breakerState).to.equal(1 /* Open */);
      const refusedSoFar = async () => {
        const metric = await dead.t.container.cradle.metrics.registry.getSingleMetric('upstream_circuit_open_total')?.get();
        return metric?.values.find((value) => value.labels.service === 'Remnawave')?.value ?? 0;
      };
      const before = await refusedSoFar();
      dead.t.logs.clear();
      for (let i = 0; i < 20; i += 1) {
        const res = await dead.t.http.get('/api/v1/users/1').set(dead.as.viewer.bearer);
        expect(res.status).to.equal(502);
        expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
      }
      const refused = (await refusedSoFar()) - before;
      // Error lines remain for real attempts only: the half-open probes (every 200 ms here) that fail.
      const errors = dead.t.logs.entries.filter((entry) => entry.level === 'error');
      expect(JSON.stringify(errors)).to.not.include('circuit open');
      expect(refused + errors.length).to.equal(20);
      expect(refused).to.be.at.least(10);
    } finally {
      await dead.close();
    }
  });
});

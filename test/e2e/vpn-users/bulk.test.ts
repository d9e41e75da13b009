import { expect } from 'chai';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

describe('VPN users: bulk enable/disable', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    // A pool wider than the bulk concurrency, so what bounds the calls in flight is the bulk runner.
    s = await panelSuite({}, { poolSize: 32 });
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase('vpn_user');
  });

  const bulk = (action: 'enable' | 'disable', ids: unknown) => s.t.http.post(`/api/v1/users/bulk/${action}`).set(s.as.support.bearer).send({ ids });

  it('when good and missing ids are mixed, then each gets ok or not_found, in order, and each change is audited', async () => {
    const a = s.fake.seedUser();
    const b = s.fake.seedUser();
    const res = await bulk('disable', [a.id, 9001, b.id, 9002]);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      results: [
        { id: a.id, result: 'ok' },
        { id: 9001, result: 'not_found' },
        { id: b.id, result: 'ok' },
        { id: 9002, result: 'not_found' },
      ],
      ok: 2,
      not_found: 2,
      error: 0,
    });
    expect(s.fake.user(a.id)?.status).to.equal('DISABLED');
    expect(s.fake.user(b.id)?.status).to.equal('DISABLED');
    const entries = await s.vpnAudit();
    expect(entries.map((e) => e.entity_id).sort()).to.deep.equal([String(a.id), String(b.id)].sort());
    expect(entries.every((e) => e.action === 'vpn_user.disabled')).to.equal(true);
  });

  it('when one id meets a panel failure, then that id is error and the others still run', async () => {
    const users = [s.fake.seedUser({ status: 'DISABLED' }), s.fake.seedUser({ status: 'DISABLED' }), s.fake.seedUser({ status: 'DISABLED' })];
    s.fake.failPath(new RegExp(`^/api/users/${users[1]?.id}(/|$)`), 'server_error');
    const res = await bulk(
      'enable',
      users.map((u) => u.id),
    );
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ ok: 2, not_found: 0, error: 1 });
    expect(res.body.results[1]).to.deep.equal({ id: users[1]?.id, result: 'error' });
    s.fake.heal();
    expect(s.fake.user(users[0]!.id)?.status).to.equal('ACTIVE');
    expect(s.fake.user(users[1]!.id)?.status).to.equal('DISABLED');
  });

  it('when 100 ids are sent, then they run with bounded concurrency and all succeed', async () => {
    const ids = Array.from({ length: 100 }, () => s.fake.seedUser().id);
    s.fake.failNext({ slowMs: 5 }, 400);
    const res = await bulk('disable', ids);
    expect(res.body).to.include({ ok: 100, error: 0 });
    expect(s.fake.peakInFlight, 'in-flight panel calls stay bounded').to.be.within(2, 5);
  });

  it('when the panel is down for every id, then 502, not a list of errors', async () => {
    const a = s.fake.seedUser();
    s.fake.failAlways('server_error');
    const res = await bulk('disable', [a.id]);
    expect(res.status).to.equal(502);
    expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
  });

  it('when ids are empty, over 100, repeated or not numbers, then 422 and the panel is not called', async () => {
    for (const ids of [[], Array.from({ length: 101 }, (_, i) => i + 1), [1, 1], ['x'], undefined]) {
      expect((await bulk('enable', ids)).status, JSON.stringify(ids)).to.equal(422);
    }
    expect(s.fake.requests).to.have.length(0);
  });
});

import { expect } from 'chai';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

describe('VPN users: bulk operations', function () {
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

  describe('reset traffic, delete and extend', () => {
    const DAY_MS = 86_400_000;
    const post = (name: string, body: object, role: 'support' | 'admin' = 'admin') =>
      s.t.http.post(`/api/v1/users/bulk/${name}`).set(s.as[role].bearer).send(body);

    it('when traffic is reset in bulk, then each existing user has none used and each reset is audited', async () => {
      const users = [s.fake.seedUser({ usedTrafficBytes: 5000 }), s.fake.seedUser({ usedTrafficBytes: 7 })];
      const res = await post('reset-traffic', { ids: [users[0]!.id, 9100, users[1]!.id] });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ok: 2, not_found: 1, error: 0 });
      expect(users.map((u) => s.fake.user(u.id)?.usedTrafficBytes)).to.deep.equal([0, 0]);
      expect((await s.vpnAudit()).map((e) => e.action)).to.deep.equal(['vpn_user.traffic_reset', 'vpn_user.traffic_reset']);
    });

    it('when users are deleted in bulk, then they are gone from the panel, missing ids are not_found, and support may not do it', async () => {
      const users = [s.fake.seedUser(), s.fake.seedUser()];
      expect((await post('delete', { ids: [users[0]!.id] }, 'support')).status).to.equal(403);
      const res = await post('delete', { ids: [...users.map((u) => u.id), 9200] });
      expect(res.body).to.include({ ok: 2, not_found: 1 });
      expect(users.map((u) => s.fake.user(u.id))).to.deep.equal([undefined, undefined]);
      expect((await s.vpnAudit()).map((e) => e.action)).to.deep.equal(['vpn_user.deleted', 'vpn_user.deleted']);
    });

    it('when expiries are extended, then each moves N days past max(now, its expiry) and an expired user is active again', async () => {
      const activeUntil = new Date(Date.now() + 10 * DAY_MS).toISOString();
      const active = s.fake.seedUser({ expireAt: activeUntil });
      const expired = s.fake.seedUser({ expireAt: new Date(Date.now() - 3 * DAY_MS).toISOString(), status: 'EXPIRED' });
      const disabled = s.fake.seedUser({ status: 'DISABLED' });
      const startedAt = Date.now();
      const res = await post('extend', { ids: [active.id, expired.id, disabled.id], days: 7 }, 'support');
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ok: 3 });
      expect(Date.parse(s.fake.user(active.id)!.expireAt) - Date.parse(activeUntil)).to.equal(7 * DAY_MS);
      expect(Date.parse(s.fake.user(expired.id)!.expireAt)).to.be.within(startedAt + 7 * DAY_MS, Date.now() + 7 * DAY_MS);
      expect(s.fake.user(expired.id)!.status).to.equal('ACTIVE');
      expect(s.fake.user(disabled.id)!.status).to.equal('DISABLED');
      const audit = await s.vpnAudit();
      expect(audit.map((e) => e.action)).to.deep.equal(['vpn_user.extended', 'vpn_user.extended', 'vpn_user.extended']);
    });

    it('when the panel call of an extension is retried, then the same date is set again, never added twice', async () => {
      const user = s.fake.seedUser();
      const until = user.expireAt;
      // The read goes through; the first update loses its connection and is sent again.
      s.fake.failNext({ slowMs: 0 });
      s.fake.failNext('reset');
      const res = await post('extend', { ids: [user.id], days: 30 });
      expect(res.body).to.include({ ok: 1 });
      expect(s.fake.count('GET', /^\/api\/users\/\d+$/)).to.equal(1);
      expect(s.fake.count('PATCH', /^\/api\/users$/)).to.equal(2);
      expect(Date.parse(s.fake.user(user.id)!.expireAt) - Date.parse(until)).to.equal(30 * DAY_MS);
    });

    it('when days are missing, zero, fractional or over ten years, then 422 and the panel is not called', async () => {
      for (const days of [undefined, 0, 1.5, 3651, 'x']) {
        expect((await post('extend', { ids: [1], days })).status, String(days)).to.equal(422);
      }
      expect(s.fake.requests).to.have.length(0);
    });
  });
});

import { expect } from 'chai';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

const DAY_MS = 86_400_000;
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);

describe('monitoring: GET /monitoring/bandwidth', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(() => s.fake.reset());

  const bandwidth = (period?: string, auth = s.as.viewer.bearer) => s.t.http.get('/api/v1/monitoring/bandwidth').query(period ? { period } : {}).set(auth);

  /** Two nodes: traffic today, 3 days ago, 10 days ago and 40 days ago; counters 1 up : 3 down. */
  function seedTraffic(): void {
    const [a, b] = [s.fake.infra.seedNode(), s.fake.infra.seedNode()];
    s.fake.infra.seedUsage(a.uuid, day(0), 1000);
    s.fake.infra.seedUsage(b.uuid, day(0), 600);
    s.fake.infra.seedUsage(a.uuid, day(3), 2000);
    s.fake.infra.seedUsage(b.uuid, day(10), 4000);
    s.fake.infra.seedUsage(a.uuid, day(40), 99_999);
    s.fake.infra.inboundCounters.set(a.uuid, { upload: 100n, download: 200n });
    s.fake.infra.inboundCounters.set(b.uuid, { upload: 0n, download: 100n });
  }

  it('maps today, week and month onto the panel\'s nodes usage by range (UTC days ending today)', async () => {
    seedTraffic();
    const totals: Record<string, number> = { today: 1600, week: 3600, month: 7600 };
    for (const [period, days] of [['today', 1], ['week', 7], ['month', 30]] as const) {
      const res = await bandwidth(period);
      expect(res.status, period).to.equal(200);
      expect(res.body, period).to.deep.equal({
        period,
        start: day(days - 1),
        end: day(0),
        bytes_total: totals[period],
        bytes_in: totals[period]! / 4,
        bytes_out: (totals[period]! * 3) / 4,
        split: 'estimated',
      });
    }
    const asked = s.fake.requests.filter((r) => r.path === '/api/bandwidth-stats/nodes').map((r) => [r.query.start, r.query.end]);
    expect(asked).to.deep.equal([[day(0), day(0)], [day(6), day(0)], [day(29), day(0)]]);
  });

  it('without a period: today', async () => {
    seedTraffic();
    const res = await bandwidth();
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ period: 'today', bytes_total: 1600 });
  });

  it('with no inbound counters to go by: the total, and no made-up split (null, "unavailable")', async () => {
    const node = s.fake.infra.seedNode();
    s.fake.infra.seedUsage(node.uuid, day(0), 500);
    const res = await bandwidth('week');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ bytes_total: 500, bytes_in: null, bytes_out: null, split: 'unavailable' });
  });

  it('an unknown period is 422; support (no view_analytics) is 403; no credentials 401', async () => {
    expect((await bandwidth('year')).status).to.equal(422);
    expect((await bandwidth('today', s.as.support.bearer)).status).to.equal(403);
    expect((await s.t.http.get('/api/v1/monitoring/bandwidth')).status).to.equal(401);
  });

  it('the panel answering garbage or failing: 502 in our shape, nothing of the panel', async () => {
    s.fake.failAlways('bad_shape');
    const garbage = await bandwidth('month');
    expect(garbage.status).to.equal(502);
    expect(garbage.body).to.deep.equal({ detail: 'Upstream service unavailable' });
    s.fake.failAlways('server_error');
    const failing = await bandwidth('month');
    expect(failing.status).to.equal(502);
    expectCleanBody(failing, [s.fake.url]);
  });
});

import { expect } from 'chai';
import { expectCleanBody } from '../../integration/skeleton/helpers';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

describe('monitoring', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase();
  });

  const health = (suite = s) => suite.t.http.get('/api/v1/monitoring/health').set(suite.as.viewer.bearer);

  it('GET /monitoring/health with everything up: healthy, each component an object with status and latency', async () => {
    const res = await health();
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('healthy');
    expect(res.body.components).to.have.keys('database', 'redis', 'remnawave', 'queues');
    for (const component of Object.values(res.body.components) as Array<{ status: string; latency_ms: number }>) {
      expect(component.status).to.equal('up');
      expect(component.latency_ms).to.be.a('number').at.least(0);
    }
    expect(s.fake.count('GET', /^\/api\/system\/health$/)).to.equal(1);
  });

  it('GET /monitoring/health with the panel failing: degraded, remnawave down, nothing of the panel shown', async () => {
    s.fake.failAlways('server_error');
    const res = await health();
    expect(res.status).to.equal(200);
    expect(res.body.status).to.equal('degraded');
    expect(res.body.components.remnawave.status).to.equal('down');
    expect(res.body.components.database.status).to.equal('up');
    expectCleanBody(res, [s.fake.url, 'db.panel.internal']);
  });

  it('GET /monitoring/health with Redis gone: unhealthy', async () => {
    const lonely = await panelSuite();
    try {
      lonely.t.container.cradle.redis.disconnect();
      const res = await health(lonely);
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('unhealthy');
      expect(res.body.components.redis.status).to.equal('down');
      expect(res.body.components.remnawave.status).to.equal('up');
    } finally {
      await lonely.close();
    }
  });

  it('GET /monitoring/stats: the panel figures in our names', async () => {
    s.fake.seedUser();
    s.fake.seedUser({ status: 'DISABLED' });
    s.fake.seedUser({ status: 'EXPIRED' });
    s.fake.seedUser();
    s.fake.infra.seedNode();
    s.fake.infra.seedNode({ isConnected: false });
    s.fake.infra.stats = { totalUsers: 4, statusCounts: { ACTIVE: 2, DISABLED: 1, LIMITED: 0, EXPIRED: 1 }, onlineNow: 3, totalBytesLifetime: '123456789012' };
    const res = await s.t.http.get('/api/v1/monitoring/stats').set(s.as.viewer.bearer);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ total_users: 4, active_users: 2, online_users: 3, total_servers: 2, online_servers: 1, total_traffic_bytes: 123456789012 });
  });

  it('GET /monitoring/stats with the panel answering garbage: 502', async () => {
    s.fake.failAlways('bad_shape');
    const res = await s.t.http.get('/api/v1/monitoring/stats').set(s.as.viewer.bearer);
    expect(res.status).to.equal(502);
    expect(res.body).to.deep.equal({ detail: 'Upstream service unavailable' });
  });

  it('monitoring needs monitoring_read: without a token 401 (every role holds it)', async () => {
    expect((await s.t.http.get('/api/v1/monitoring/health')).status).to.equal(401);
    expect((await s.t.http.get('/api/v1/monitoring/stats')).status).to.equal(401);
  });
});

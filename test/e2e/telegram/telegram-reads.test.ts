import { expect } from 'chai';
import { inDays, panelSuite, type PanelSuite } from '../../support/panel-suite';

/** What the Telegram bot reads (it holds user_read; API keys for the bot come later). */
describe('telegram bot reads', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
  });
  after(() => s.close());
  beforeEach(async () => {
    await s.nextCase();
  });

  const get = (path: string) => s.t.http.get(`/api/v1/telegram/users/${path}`).set(s.as.viewer.bearer);

  it('GET /telegram/users/:telegram_id: the VPN user with its subscription state', async () => {
    const user = s.fake.seedUser({ telegramId: 555001, expireAt: new Date(Date.now() + 10.5 * 86_400_000).toISOString(), trafficLimitBytes: 100, usedTrafficBytes: 40 });
    const res = await get('555001');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: user.id, telegram_id: 555001 });
    expect(res.body.subscription).to.deep.equal({
      active: true,
      expired: false,
      status: 'active',
      expires_at: new Date(user.expireAt).toISOString(),
      days_left: 10,
      traffic_limit_bytes: 100,
      used_traffic_bytes: 40,
    });
  });

  it('when only a near Telegram id exists (a substring), then 404: the match is exact', async () => {
    s.fake.seedUser({ telegramId: 5550011 });
    s.fake.looseStreamFilters = true;
    const res = await get('555001');
    expect(res.status).to.equal(404);
    expect(res.body).to.deep.equal({ detail: 'VPN user not found' });
  });

  it('when the subscription is disabled or past its expiry, then active is false', async () => {
    s.fake.seedUser({ telegramId: 1, status: 'DISABLED' });
    s.fake.seedUser({ telegramId: 2, expireAt: new Date(Date.now() - 60_000).toISOString() });
    expect((await get('1')).body.subscription).to.include({ active: false, expired: false, status: 'disabled' });
    expect((await get('2')).body.subscription).to.include({ active: false, expired: true, days_left: 0 });
  });

  it('GET /telegram/users/:telegram_id/config: the subscription link; 402 once expired; 404 unknown', async () => {
    const user = s.fake.seedUser({ telegramId: 77, expireAt: inDays(3) });
    const ok = await get('77/config');
    expect(ok.status).to.equal(200);
    expect(ok.body).to.deep.equal({ subscription_url: `https://sub.panel.test/${user.shortUuid}` });

    s.fake.seedUser({ telegramId: 78, status: 'EXPIRED' });
    const expired = await get('78/config');
    expect(expired.status).to.equal(402);
    expect(expired.body).to.deep.equal({ detail: 'Subscription expired' });
    expect((await get('79/config')).status).to.equal(404);
  });

  it('when the Telegram id is not a positive number, then 422', async () => {
    expect((await get('abc')).status).to.equal(422);
    expect((await get('0/config')).status).to.equal(422);
  });

  it('when the panel is down, then 502', async () => {
    s.fake.failAlways('server_error');
    expect((await get('77')).status).to.equal(502);
  });

  it('without credentials, 401', async () => {
    expect((await s.t.http.get('/api/v1/telegram/users/77')).status).to.equal(401);
    expect((await s.t.http.get('/api/v1/telegram/users/77/config')).status).to.equal(401);
  });
});

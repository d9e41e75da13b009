import { expect } from 'chai';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

describe('VPN users: paging over a 45-user panel and search exactness', function () {
  this.timeout(30_000);
  let s: PanelSuite;

  before(async () => {
    s = await panelSuite();
    for (let i = 1; i <= 45; i += 1) {
      s.fake.seedUser({
        username: i === 7 ? 'alice' : i === 8 ? 'alice_two' : `member_${String(i).padStart(2, '0')}`,
        // 12 is a substring of 123 and 4123: the panel's list filter would match all three.
        telegramId: i === 20 ? 12 : i === 21 ? 123 : i === 22 ? 4123 : null,
        email: i === 30 ? 'exact@example.test' : i === 31 ? 'not-exact@example.test' : null,
      });
    }
  });
  after(() => s.close());

  const list = (query: Record<string, string | number>) => s.t.http.get('/api/v1/users').query(query).set(s.as.viewer.bearer);

  it('when paged by 20, then pages 1, 2, 3 hold 20, 20, 5 users, the true total 45, every user once', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => list({ page, page_size: 20 })));
    expect(pages.map((p) => p.status)).to.deep.equal([200, 200, 200]);
    expect(pages.map((p) => p.body.items.length)).to.deep.equal([20, 20, 5]);
    for (const [index, page] of pages.entries()) expect(page.body).to.include({ total: 45, page: index + 1, page_size: 20 });
    const ids = pages.flatMap((p) => p.body.items.map((u: { id: number }) => u.id));
    expect(new Set(ids).size).to.equal(45);
    // Page 1 starts at the first user: the original backend skipped it.
    expect(ids[0]).to.equal(1);
    const query = s.fake.requests.filter((r) => r.path === '/api/users').map((r) => r.query);
    expect(query).to.deep.include.members([{ start: '0', size: '20' }, { start: '20', size: '20' }, { start: '40', size: '20' }]);
  });

  it('when the page is past the end, then items are empty and the total still true', async () => {
    const res = await list({ page: 4, page_size: 20 });
    expect(res.body).to.include({ total: 45, page: 4 });
    expect(res.body.items).to.deep.equal([]);
  });

  it('when defaults are used, then page 1 of 20', async () => {
    const res = await list({});
    expect(res.body).to.include({ total: 45, page: 1, page_size: 20 });
  });

  it('when page_size is 0 or 101, then 422', async () => {
    expect((await list({ page_size: 0 })).status).to.equal(422);
    expect((await list({ page_size: 101 })).status).to.equal(422);
  });

  it('when searched by username, then a substring match with its own total', async () => {
    const res = await list({ username: 'alice' });
    expect(res.body.total).to.equal(2);
    expect(res.body.items.map((u: { username: string }) => u.username)).to.have.members(['alice', 'alice_two']);
  });

  it('when searched by telegram_id, then only the exact id, never its superstrings', async () => {
    const res = await list({ telegram_id: 12 });
    expect(res.status).to.equal(200);
    expect(res.body.total).to.equal(1);
    expect(res.body.items.map((u: { telegram_id: number }) => u.telegram_id)).to.deep.equal([12]);
  });

  it('when the panel answers a lookup with near matches too, then the re-check drops them', async () => {
    s.fake.looseStreamFilters = true;
    try {
      const byTelegram = await list({ telegram_id: 12 });
      expect(byTelegram.body.total).to.equal(1);
      expect(byTelegram.body.items.map((u: { telegram_id: number }) => u.telegram_id)).to.deep.equal([12]);
      const byEmail = await list({ email: 'exact@example.test' });
      expect(byEmail.body.items.map((u: { email: string }) => u.email)).to.deep.equal(['exact@example.test']);
    } finally {
      s.fake.looseStreamFilters = false;
    }
  });

  it('when an exact search has more matches than a page, then paging and the total are over the matches', async () => {
    const res = await list({ telegram_id: 12, page: 2, page_size: 1 });
    expect(res.body).to.include({ total: 1, page: 2 });
    expect(res.body.items).to.deep.equal([]);
  });

  it('when searched by email, then only the exact address', async () => {
    const res = await list({ email: 'exact@example.test' });
    expect(res.body.total).to.equal(1);
    expect(res.body.items[0].email).to.equal('exact@example.test');
    expect((await list({ email: 'nobody@example.test' })).body).to.include({ total: 0 });
  });

  it('when two search fields are given at once, then 422', async () => {
    expect((await list({ username: 'a', email: 'exact@example.test' })).status).to.equal(422);
  });
});

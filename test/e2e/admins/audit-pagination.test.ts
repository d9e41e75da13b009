import { expect } from 'chai';
import { MAX_PAGE_DEPTH } from '../../../src/shared/pagination';
import { createTestApp, type TestApp } from '../../support/test-app';
import { signedInAdmin } from './helpers';

/** Review S6: a deep page made every request sort and skip the whole audit table. */
describe('admin logs: how deep a page may go', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  it('when page * page_size exceeds the cap, then 422 on page saying what the cap is; at the cap, 200', async () => {
    expect(MAX_PAGE_DEPTH).to.equal(10_000);
    const reader = await signedInAdmin(t, 'admin');
    const list = (query: { page: number; page_size?: number }) => t.http.get('/api/v1/admin/audit-log').query(query).set(reader.bearer);
    for (const query of [{ page: 101, page_size: 100 }, { page: 501 }, { page: 1_000_000, page_size: 100 }, { page: 10_001, page_size: 1 }]) {
      const res = await list(query);
      expect(res.status, JSON.stringify(query)).to.equal(422);
      expect(res.body.detail).to.have.length(1);
      expect(res.body.detail[0]).to.include({ msg: 'page * page_size must not exceed 10000; narrow the filters instead', type: 'number.max' });
      expect(res.body.detail[0].loc).to.deep.equal(['query', 'page']);
    }
    for (const query of [{ page: 100, page_size: 100 }, { page: 500 }, { page: 10_000, page_size: 1 }]) {
      const res = await list(query);
      expect(res.status, JSON.stringify(query)).to.equal(200);
      expect(res.body.items).to.deep.equal([]);
    }
  });

  it('when other lists share the page contract, then they have the same cap', async () => {
    const boss = await signedInAdmin(t);
    expect((await t.http.get('/api/v1/admins?page=101&page_size=100').set(boss.bearer)).status).to.equal(422);
    expect((await t.http.get('/api/v1/plans?page=501').set(boss.bearer)).status).to.equal(422);
    expect((await t.http.get('/api/v1/admin/invites?page=501').set(boss.bearer)).status).to.equal(422);
    expect((await t.http.get('/api/v1/admins?page=100&page_size=100').set(boss.bearer)).status).to.equal(200);
  });

  it('when the newest page is read, then PostgreSQL can walk the (created_at desc, id desc) index instead of sorting the table', async () => {
    const { db } = t.container.cradle;
    const plan = await db.transaction(async (trx) => {
      // The table is tiny in a test: forbid the sequential scan so the planner shows what it could use.
      await trx.raw('SET LOCAL enable_seqscan = off');
      await trx.raw('SET LOCAL enable_sort = off');
      const explained = await trx.raw('EXPLAIN SELECT * FROM audit_logs ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 40');
      return (explained.rows as Array<{ 'QUERY PLAN': string }>).map((row) => row['QUERY PLAN']).join('\n');
    });
    expect(plan).to.include('Index Scan using audit_logs_created_at_id_index on audit_logs');
    expect(plan).to.not.match(/\bSort\b/);
  });
});

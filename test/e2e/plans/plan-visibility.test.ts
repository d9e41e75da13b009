import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { panelSuite, type PanelSuite } from '../../support/panel-suite';

/** GET /plans/{id} and GET /plans?include_inactive=true: inactive plans are for manage_plans only. */
describe('plan visibility', function () {
  this.timeout(30_000);
  let s: PanelSuite;
  let activePlan: string;
  let inactive: string;

  before(async () => {
    s = await panelSuite();
    const create = async (name: string, is_active: boolean) =>
      (await s.t.http.post('/api/v1/plans').set(s.as.admin.bearer).send({ name: `${name} ${randomUUID().slice(0, 6)}`, tier: 'pro', duration_days: 30, price: 4.99, currency: 'USD', is_active, sort_order: -1000 })).body.id as string;
    activePlan = await create('Visible', true);
    inactive = await create('Retired', false);
  });
  after(() => s.close());

  it('when anyone asks for an active plan by id, then it comes, without credentials', async () => {
    const res = await s.t.http.get(`/api/v1/plans/${activePlan}`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: activePlan, is_active: true, price: '4.99', currency: 'USD' });
  });

  it('when an inactive plan is asked for without credentials or without manage_plans, then 404 as for a missing one', async () => {
    for (const headers of [{}, s.as.operator.bearer, s.as.viewer.bearer]) {
      const res = await s.t.http.get(`/api/v1/plans/${inactive}`).set(headers);
      expect(res.status).to.equal(404);
      expect(res.body).to.deep.equal({ detail: 'Plan not found' });
    }
    expect((await s.t.http.get(`/api/v1/plans/${randomUUID()}`)).body).to.deep.equal({ detail: 'Plan not found' });
  });

  it('when an admin or super_admin asks for an inactive plan, then it comes', async () => {
    for (const who of [s.as.admin, s.as.super_admin]) {
      const res = await s.t.http.get(`/api/v1/plans/${inactive}`).set(who.bearer);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ id: inactive, is_active: false });
    }
  });

  it('when invalid credentials are sent, then 401 whatever the plan, so an inactive one is not revealed', async () => {
    for (const id of [activePlan, inactive, randomUUID()]) {
      const res = await s.t.http.get(`/api/v1/plans/${id}`).set({ Authorization: 'Bearer not.a.token' });
      expect(res.status).to.equal(401);
    }
  });

  it('when the id is not a UUID, then 422', async () => {
    const res = await s.t.http.get('/api/v1/plans/123');
    expect(res.status).to.equal(422);
    expect(res.body.detail[0].loc).to.deep.equal(['path', 'id']);
  });

  it('when plans are listed with include_inactive=true by manage_plans, then inactive ones come too', async () => {
    const res = await s.t.http.get('/api/v1/plans?include_inactive=true&page_size=100').set(s.as.admin.bearer);
    expect(res.status).to.equal(200);
    const ids = (res.body.items as { id: string }[]).map((plan) => plan.id);
    expect(ids).to.include.members([activePlan, inactive]);
    const publicList = await s.t.http.get('/api/v1/plans?page_size=100');
    expect((publicList.body.items as { id: string }[]).map((plan) => plan.id)).to.include(activePlan).and.not.include(inactive);
    // Other suites share the database: count what it holds rather than assume only this suite's plans.
    const db = s.t.container.cradle.db;
    const [every] = await db('subscription_plans').count<{ count: string }[]>({ count: '*' });
    const [active] = await db('subscription_plans').where({ is_active: true }).count<{ count: string }[]>({ count: '*' });
    expect(res.body.total).to.equal(Number(every?.count));
    expect(publicList.body.total).to.equal(Number(active?.count));
    expect(res.body.total).to.be.greaterThan(publicList.body.total);
  });

  it('when include_inactive=true comes without manage_plans, then 403; without credentials, 401', async () => {
    for (const who of [s.as.viewer, s.as.support, s.as.operator]) {
      const res = await s.t.http.get('/api/v1/plans?include_inactive=true').set(who.bearer);
      expect(res.status).to.equal(403);
      expect(res.body).to.deep.equal({ detail: 'Insufficient permissions' });
    }
    expect((await s.t.http.get('/api/v1/plans?include_inactive=true')).status).to.equal(401);
    expect((await s.t.http.get('/api/v1/plans?include_inactive=false').set(s.as.viewer.bearer)).status).to.equal(200);
    expect((await s.t.http.get('/api/v1/plans?include_inactive=maybe')).status).to.equal(422);
  });
});

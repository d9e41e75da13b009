import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { FakeAuthenticator } from './helpers';

const plan = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  tier: 'standard',
  duration_days: 30,
  price: 4.99,
  currency: 'usd',
  ...fields,
});

describe('plans through the real stack', function () {
  this.timeout(30_000);
  let testApp: TestApp;
  const auth = new FakeAuthenticator();

  before(async () => {
    testApp = await createTestApp({}, (container) => auth.register(container));
  });
  beforeEach(async () => {
    await testApp.reset();
    await auth.actAsNewAdmin(testApp.container);
  });
  after(() => testApp.close());

  it('when a plan is created, then 201 with defaults applied, the price as a string and the currency upper-cased', async () => {
    const res = await testApp.http.post('/api/v1/plans').send(plan('Basic'));
    expect(res.status).to.equal(201);
    expect(res.body).to.include({
      name: 'Basic',
      tier: 'standard',
      duration_days: 30,
      price: '4.99',
      currency: 'USD',
      device_limit: 1,
      is_active: true,
      sort_order: 0,
      traffic_limit_bytes: null,
    });
    expect(res.body.features).to.deep.equal([]);
    expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
  });

  it('when plans are listed, then only active ones come, by sort order, with the true total and the page asked for', async () => {
    await testApp.http.post('/api/v1/plans').send(plan('B plan', { sort_order: 2 }));
    await testApp.http.post('/api/v1/plans').send(plan('A plan', { sort_order: 2 }));
    await testApp.http.post('/api/v1/plans').send(plan('First', { sort_order: 1 }));
    await testApp.http.post('/api/v1/plans').send(plan('Hidden', { is_active: false }));
    const res = await testApp.http.get('/api/v1/plans?page=1&page_size=2');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ total: 3, page: 1, page_size: 2 });
    expect(res.body.items.map((item: { name: string }) => item.name)).to.deep.equal(['First', 'A plan']);
    const second = await testApp.http.get('/api/v1/plans?page=2&page_size=2');
    expect(second.body.items.map((item: { name: string }) => item.name)).to.deep.equal(['B plan']);
  });

  it('when a plan is changed, then 200 with the change, and the change is recorded in the audit log', async () => {
    const created = await testApp.http.post('/api/v1/plans').send(plan('Basic'));
    const res = await testApp.http.patch(`/api/v1/plans/${created.body.id}`).send({ price: 5.5, features: ['fast'] });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ price: '5.50', name: 'Basic' });
    expect(res.body.features).to.deep.equal(['fast']);
    const audit = await testApp.container.cradle.db('audit_logs').where({ entity_id: created.body.id });
    expect(audit.map((row: { action: string }) => row.action)).to.include('plan.updated');
  });

  it('when a plan is renamed to a taken name, then 409 "Plan already exists"', async () => {
    await testApp.http.post('/api/v1/plans').send(plan('Taken'));
    const other = await testApp.http.post('/api/v1/plans').send(plan('Other'));
    const res = await testApp.http.patch(`/api/v1/plans/${other.body.id}`).send({ name: 'Taken' });
    expect(res.status).to.equal(409);
    expect(res.body).to.deep.equal({ detail: 'Plan already exists' });
  });

  it('when a change has no field, then 422', async () => {
    const created = await testApp.http.post('/api/v1/plans').send(plan('Basic'));
    const res = await testApp.http.patch(`/api/v1/plans/${created.body.id}`).send({});
    expect(res.status).to.equal(422);
    expect(res.body.detail[0]).to.include({ type: 'object.min' });
  });

  it('when a plan is deleted, then 204 and it is gone from the list', async () => {
    const created = await testApp.http.post('/api/v1/plans').send(plan('Basic'));
    const res = await testApp.http.delete(`/api/v1/plans/${created.body.id}`);
    expect(res.status).to.equal(204);
    expect(res.text).to.equal('');
    expect((await testApp.http.get('/api/v1/plans')).body.total).to.equal(0);
  });
});

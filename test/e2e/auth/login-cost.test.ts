import bcrypt from 'bcrypt';
import { expect } from 'chai';
import supertest from 'supertest';
import { loadConfig } from '../../../src/config';
import { startServer } from '../../../src/server';
import { createAdmin } from '../../support/fixtures';
import { testEnv } from '../../support/env';
import { createTestApp, type TestApp } from '../../support/test-app';

/**
 * Timing must not tell which accounts exist (review finding 6, S5). Wall-clock times are too noisy
 * on a shared machine to assert, so the tests count the bcrypt work the real pool did: rounds
 * (2^cost per bcrypt call) and tasks (queue waits) per refused login.
 */
describe('auth: every refused login costs the same bcrypt work', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ BCRYPT_COST: '10' });
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  async function workOf(loginOrEmail: string, password: string) {
    const hasher = t.container.cradle.passwordHasher;
    const [rounds, tasks] = [hasher.roundsSpent, hasher.completedTasks];
    const response = await t.http.post('/api/v1/auth/login').send({ login_or_email: loginOrEmail, password });
    return { status: response.status, rounds: hasher.roundsSpent - rounds, tasks: hasher.completedTasks - tasks };
  }

  async function withHashAtCost(login: string, cost: number) {
    const admin = await createAdmin(t.container, { login, password: `${login}-pass-1` });
    await t.container.cradle.db('admin_users').where({ id: admin.id }).update({ password_hash: await bcrypt.hash(admin.password, cost) });
    return admin;
  }

  it('when accounts have hashes cheaper than BCRYPT_COST, then unknown, wrong, dated and inactive refusals all spend one cost-10 verification', async () => {
    await withHashAtCost('current_cost', 10);
    await withHashAtCost('dated_cheap', 4);
    const inactive = await createAdmin(t.container, { login: 'inactive_one', is_active: false });
    await workOf('warm_up_dummy', 'x1');

    const refusals = [
      await workOf('nobody_here', 'whatever-1'),
      await workOf('current_cost', 'wrong-pass-1'),
      await workOf('dated_cheap', 'wrong-pass-1'),
      await workOf(inactive.login, inactive.password),
    ];
    for (const refusal of refusals) expect(refusal).to.deep.equal({ status: 401, rounds: 2 ** 10, tasks: 1 });
  });

  it('when an account has a hash dearer than BCRYPT_COST (made by a CLI with other settings), then every refusal costs as much as that one', async () => {
    await withHashAtCost('current_cost', 10);
    await withHashAtCost('dated_dear', 11);
    await workOf('warm_up_dummy', 'x1');

    const refusals = [await workOf('nobody_here', 'whatever-1'), await workOf('current_cost', 'wrong-pass-1'), await workOf('dated_dear', 'wrong-pass-1')];
    for (const refusal of refusals) expect(refusal).to.deep.equal({ status: 401, rounds: 2 ** 11, tasks: 1 });

    // Its owner signs in: the hash is renewed at BCRYPT_COST, and refusals are back to cost 10.
    expect((await workOf('dated_dear', 'dated_dear-pass-1')).status).to.equal(200);
    expect(await workOf('nobody_here', 'whatever-1')).to.deep.equal({ status: 401, rounds: 2 ** 10, tasks: 1 });
  });
});

describe('auth: the dummy hash of unknown logins is made at start-up', function () {
  this.timeout(30_000);

  it('when the server has started, then the dummy exists and the first unknown login costs one verification like any later one', async () => {
    const running = await startServer(loadConfig(testEnv({ BCRYPT_COST: '10' })));
    try {
      const hasher = running.container.cradle.passwordHasher;
      expect(hasher.completedTasks, 'the dummy hash, made before listening').to.equal(1);
      const http = supertest(`http://127.0.0.1:${running.port}`);
      const costs = [];
      for (const name of ['first_unknown', 'second_unknown']) {
        const before = hasher.completedTasks;
        const response = await http.post('/api/v1/auth/login').send({ login_or_email: name, password: 'whatever-1' });
        expect(response.status).to.equal(401);
        costs.push(hasher.completedTasks - before);
      }
      expect(costs).to.deep.equal([1, 1]);
    } finally {
      await running.stop();
    }
  });
});

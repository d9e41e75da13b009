import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';

describe('auth: login', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const login = (login_or_email: string, password: string) => t.http.post('/api/v1/auth/login').send({ login_or_email, password });

  it('when the login is unknown, the password wrong or the account inactive, then the answer is the same 401 and each costs one hash', async () => {
    const active = await createAdmin(t.container, { login: 'active_one' });
    const inactive = await createAdmin(t.container, { login: 'inactive_one', is_active: false });
    const hasher = t.container.cradle.passwordHasher;
    await login('warm_up_dummy', 'x1'); // the dummy hash is made once, on first need

    const outcomes = [];
    for (const [name, password] of [
      ['nobody_here', 'whatever-1'],
      [active.login, 'wrong-password-1'],
      [inactive.login, inactive.password],
    ] as const) {
      const before = hasher.completedTasks;
      const response = await login(name, password);
      outcomes.push({ status: response.status, body: response.body, hashes: hasher.completedTasks - before });
    }
    for (const outcome of outcomes) {
      expect(outcome).to.deep.equal({ status: 401, body: { detail: 'Invalid credentials' }, hashes: 1 });
    }
  });

  it('when the email is used instead of the login, in any case, then the login succeeds and is recorded', async () => {
    const admin = await createAdmin(t.container, { email: 'Ops@Example.test' });
    const response = await login('ops@EXAMPLE.test', admin.password);
    expect(response.status).to.equal(200);
    expect(response.body.token_type).to.equal('bearer');
    expect(response.body.expires_in).to.equal(900);
    const row = await t.container.cradle.db('admin_users').where({ id: admin.id }).first();
    expect(row.last_login_at).to.be.an.instanceOf(Date);
    expect(row.last_login_ip).to.be.a('string').and.not.empty;
    const audit = await t.container.cradle.db('audit_logs').where({ action: 'auth.login_succeeded', admin_id: admin.id });
    expect(audit).to.have.length(1);
    expect(audit[0].request_id).to.equal(response.headers['x-request-id']);
  });

  it('when a login fails, then the failure is audited with its reason but no password, not even one typed as the login', async () => {
    const admin = await createAdmin(t.container);
    const response = await login(admin.login, 'Secret-guess-123');
    const [entry] = await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' });
    expect(entry.admin_id).to.equal(admin.id);
    expect(entry.new_value).to.deep.equal({ reason: 'wrong_password' });
    expect(JSON.stringify(entry)).to.not.include('Secret-guess-123');
    expect(entry.request_id).to.equal(response.headers['x-request-id']);

    await login('MySecretPassw0rd!', 'whatever-1');
    const [unknown] = await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' }).whereNull('admin_id');
    expect(unknown.new_value.reason).to.equal('unknown_login');
    expect(unknown.new_value.login_fingerprint).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(unknown)).to.not.include('MySecretPassw0rd');
  });

  it('when a stored hash was made at another cost, then a successful login replaces it with one at BCRYPT_COST', async () => {
    const admin = await createAdmin(t.container, { password: 'old-cost-pass-1' });
    const cheap = await bcrypt.hash('old-cost-pass-1', 4);
    await t.container.cradle.db('admin_users').where({ id: admin.id }).update({ password_hash: cheap });
    expect((await login(admin.login, 'old-cost-pass-1')).status).to.equal(200);
    const row = await t.container.cradle.db('admin_users').where({ id: admin.id }).first();
    expect(row.password_hash).to.match(/^\$2b\$10\$/);
    expect((await login(admin.login, 'old-cost-pass-1')).status).to.equal(200);
  });

  it('when the current password is guessed through change-password, then the account locks after ten tries', async () => {
    const admin = await createAdmin(t.container);
    const session = await login(admin.login, admin.password);
    const bearer = { Authorization: `Bearer ${session.body.access_token as string}` };
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const guess = await t.http.post('/api/v1/auth/change-password').set(bearer).send({ current_password: `guess-${attempt}x`, new_password: 'brand-new-pass-1' });
      expect(guess.status, `attempt ${attempt}`).to.equal(401);
    }
    const locked = await t.http.post('/api/v1/auth/change-password').set(bearer).send({ current_password: admin.password, new_password: 'brand-new-pass-1' });
    expect(locked.status).to.equal(429);
    expect(await t.container.cradle.db('audit_logs').where({ action: 'admin.password_change_refused' })).to.have.length(10);
  });

  it('when a field carries a NUL character or a date beyond what PostgreSQL holds, then the answer is 422, not 500', async () => {
    const nul = await t.http.post('/api/v1/auth/login').send({ login_or_email: 'ab\u0000c', password: 'x1' });
    expect(nul.status).to.equal(422);
    expect(nul.body.detail[0]).to.deep.equal({ loc: ['body', 'login_or_email'], msg: 'must not contain NUL characters', type: 'string.nul' });

    const admin = await createAdmin(t.container, { role: 'super_admin' });
    const bearer = { Authorization: `Bearer ${(await login(admin.login, admin.password)).body.access_token as string}` };
    for (const query of ['action=a%00b', 'entity_type=%00', 'from=-271821-04-20T00:00:00Z', 'to=+275760-01-01T00:00:00Z']) {
      const response = await t.http.get(`/api/v1/admin/audit-log?${query}`).set(bearer);
      expect(response.status, query).to.equal(422);
    }
    const plan = await t.http
      .post('/api/v1/plans')
      .set(bearer)
      .send({ name: 'a\u0000', tier: 'pro', duration_days: 30, price: 5, currency: 'USD' });
    expect(plan.status).to.equal(422);
    expect(plan.body.detail[0].loc).to.deep.equal(['body', 'name']);
  });

  it('when ten logins fail for one login string, even one without an account, then the next answers 429 with Retry-After', async () => {
    for (const name of ['ghost_account', 'Real_Admin']) {
      if (name === 'Real_Admin') await createAdmin(t.container, { login: name });
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        expect((await login(name, `wrong-pass-${attempt}`)).status, `attempt ${attempt}`).to.equal(401);
      }
      const locked = await login(name.toUpperCase(), 'wrong-pass-11');
      expect(locked.status, name).to.equal(429);
      expect(locked.body).to.deep.equal({ detail: 'Too many requests' });
      expect(Number(locked.headers['retry-after'])).to.be.within(1, 60);
    }
  });

  it('when an account is locked out, then even the right password waits, and a success after the cool-down resets the count', async () => {
    const admin = await createAdmin(t.container);
    for (let attempt = 1; attempt <= 10; attempt += 1) await login(admin.login, 'nope-nope-1');
    expect((await login(admin.login, admin.password)).status).to.equal(429);

    const { redis, config } = t.container.cradle;
    // Locked twice over: the login string, and the account it names.
    const lockKeys = await redis.keys(`${config.redis.keyPrefix}{throttle}:lock:*`);
    expect(lockKeys.map((key) => key.split(':').at(-2)).sort()).to.deep.equal(['account', 'login']);
    await redis.del(...lockKeys); // the cool-down has passed

    expect((await login(admin.login, admin.password)).status).to.equal(200);
    for (let attempt = 1; attempt <= 9; attempt += 1) await login(admin.login, 'nope-nope-1');
    expect((await login(admin.login, admin.password)).status, 'nine failures after a reset do not lock').to.equal(200);
  });

  it('when the lock-out repeats, then the cool-down grows', async () => {
    const { redis, config } = t.container.cradle;
    const coolDowns: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (let attempt = 1; attempt <= 10; attempt += 1) await login('repeat_offender', 'nope-nope-1');
      const [lock] = await redis.keys(`${config.redis.keyPrefix}{throttle}:lock:login:*`);
      coolDowns.push(await redis.ttl(lock!));
      await redis.del(lock!);
    }
    expect(coolDowns[1]).to.be.greaterThan(coolDowns[0]!);
    expect(coolDowns[2]).to.be.greaterThan(coolDowns[1]!);
  });

  it('when the body is incomplete or the password longer than bcrypt can take, then 422 names the field and no hash is spent', async () => {
    const hasher = t.container.cradle.passwordHasher;
    const before = hasher.completedTasks;
    const missing = await t.http.post('/api/v1/auth/login').send({ password: 'abc12345' });
    expect(missing.status).to.equal(422);
    expect(missing.body.detail[0]).to.deep.include({ loc: ['body', 'login_or_email'], type: 'any.required' });

    // 72 bytes of a real password plus anything: bcrypt alone would accept it.
    const admin = await createAdmin(t.container, { password: `${'p4'.repeat(36)}` });
    const tooLong = await login(admin.login, `${admin.password}-anything`);
    expect(tooLong.status).to.equal(422);
    expect(tooLong.body.detail[0]).to.deep.include({ loc: ['body', 'password'], type: 'password.long' });
    expect(JSON.stringify(tooLong.body)).to.not.include('p4p4');
    expect(hasher.completedTasks).to.equal(before);
  });
});

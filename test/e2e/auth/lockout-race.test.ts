import { expect } from 'chai';
import { generate, generateSecret } from 'otplib';
import { accountSubject } from '../../../src/modules/auth/login-throttle';
import { encryptSecret, sha256Hex } from '../../../src/shared/secrets';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, s) => ({ ...counts, [s]: (counts[s] ?? 0) + 1 }), {});

/**
 * The lock-out under bursts (security review finding 2, 4, 5): an attempt is reserved before the
 * secret is checked, so a burst of parallel guesses gets ten checks, not one per request.
 */
describe('auth: lock-out under concurrent attempts', function () {
  this.timeout(60_000);
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const login = (login_or_email: string, password: string) => t.http.post('/api/v1/auth/login').send({ login_or_email, password });

  /** Turns 2FA on for an account with a fresh secret, answered for making codes. */
  async function turnOnTotp(adminId: string): Promise<string> {
    const secret = generateSecret();
    const sealed = encryptSecret(secret, t.container.cradle.config.dataEncryptionKey);
    await t.container.cradle.db('admin_users').where({ id: adminId }).update({ totp_enabled: true, totp_secret_encrypted: sealed });
    return secret;
  }

  /** Waits until the subject's ten attempts are all reserved (or already settled into a lock). */
  async function untilBudgetTaken(subject: string): Promise<void> {
    const { redis, config } = t.container.cradle;
    const key = (kind: string) => `${config.redis.keyPrefix}{throttle}:${kind}:${subject}`;
    for (let polls = 0; ; polls += 1) {
      const [attempts, locked] = await Promise.all([redis.get(key('attempts')), redis.exists(key('lock'))]);
      if (Number(attempts) >= 10 || locked) return;
      expect(polls, 'the burst never took the budget').to.be.lessThan(2000);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('when 40 wrong passwords for one login arrive at once, then exactly 10 are checked, the rest 429, and the right password next is refused', async () => {
    const admin = await createAdmin(t.container);
    const hasher = t.container.cradle.passwordHasher;
    await login('warm_up_dummy', 'x1');
    await t.reset();
    const before = hasher.completedTasks;

    // `.then` sends each request now (supertest is lazy until then).
    const burst = Array.from({ length: 40 }, (_, i) => login(admin.login, `wrong-pass-${i}`).then((r) => r));
    await untilBudgetTaken(t.container.cradle.loginThrottle.loginSubject(admin.login));
    const right = await login(admin.login, admin.password);
    const statuses = (await Promise.all(burst)).map((r) => r.status);

    expect(right.status, 'the right password at the end of the burst').to.equal(429);
    expect(Number(right.headers['retry-after'])).to.be.greaterThan(0);
    expect(tally(statuses)).to.deep.equal({ 401: 10, 429: 30 });
    expect(hasher.completedTasks - before, 'bcrypt verifications').to.equal(10);
    expect(await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' })).to.have.length(10);
  });

  it('when 25 right passwords for one account arrive at once, then every one signs in: attempts beyond the budget wait their turn', async () => {
    const admin = await createAdmin(t.container);
    const burst = await Promise.all(Array.from({ length: 25 }, () => login(admin.login, admin.password).then((r) => r)));
    expect(tally(burst.map((r) => r.status))).to.deep.equal({ 200: 25 });
  });

  it('when many tfa tokens race wrong codes at /2fa/complete, then exactly 10 are checked and the right code after them is refused', async () => {
    const admin = await createAdmin(t.container);
    const secret = await turnOnTotp(admin.id);
    const tokens: string[] = [];
    for (let i = 0; i < 31; i += 1) {
      const step = await login(admin.login, admin.password);
      expect(step.status, JSON.stringify(step.body)).to.equal(200);
      tokens.push(step.body.tfa_token as string);
    }
    const now = Math.floor(Date.now() / 1000);
    const rightCode = await generate({ secret, epoch: now });
    const wrongCode = await generate({ secret, epoch: now - 3600 });
    const complete = (token: string, code: string) => t.http.post('/api/v1/2fa/complete').set('Authorization', `Bearer ${token}`).send({ code });

    const burst = tokens.slice(0, 30).map((token) => complete(token, wrongCode).then((r) => r));
    await untilBudgetTaken(accountSubject(admin.id));
    const right = await complete(tokens[30]!, rightCode);
    const statuses = (await Promise.all(burst)).map((r) => r.status);

    expect(right.status, 'the right code after the burst').to.equal(429);
    expect(tally(statuses)).to.deep.equal({ 401: 10, 429: 20 });
  });

  it('when wrong codes race at /2fa/validate and wrong current passwords at change-password, then each gets exactly 10 checks', async () => {
    const admin = await createAdmin(t.container);
    const secret = await turnOnTotp(admin.id);
    const now = Math.floor(Date.now() / 1000);
    const session = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password, totp_code: await generate({ secret, epoch: now }) });
    expect(session.status, JSON.stringify(session.body)).to.equal(200);
    const bearer = { Authorization: `Bearer ${session.body.access_token as string}` };
    const wrongCode = await generate({ secret, epoch: now - 3600 });

    const validations = await Promise.all(Array.from({ length: 25 }, () => t.http.post('/api/v1/2fa/validate').set(bearer).send({ code: wrongCode }).then((r) => r)));
    expect(tally(validations.map((r) => r.status))).to.deep.equal({ 200: 10, 429: 15 });
    expect(validations.filter((r) => r.status === 200).every((r) => r.body.valid === false)).to.equal(true);

    // The account is locked now; once the cool-down is over, the same race through change-password.
    const { redis, config } = t.container.cradle;
    await redis.del(`${config.redis.keyPrefix}{throttle}:lock:${accountSubject(admin.id)}`);
    const hasher = t.container.cradle.passwordHasher;
    const before = hasher.completedTasks;
    const changes = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.http.post('/api/v1/auth/change-password').set(bearer).send({ current_password: `wrong-pass-${i}`, new_password: 'brand-new-pass-1' }).then((r) => r),
      ),
    );
    expect(tally(changes.map((r) => r.status))).to.deep.equal({ 401: 10, 429: 15 });
    expect(hasher.completedTasks - before, 'bcrypt verifications').to.equal(10);
  });

  it('when a login is locked by its login name, then the right password through the email is refused too', async () => {
    const admin = await createAdmin(t.container, { login: 'two_doors', email: 'two.doors@example.test' });
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect((await login(admin.login, `wrong-pass-${attempt}`)).status, `attempt ${attempt}`).to.equal(401);
    }
    const viaEmail = await login(' TWO.DOORS@example.test', admin.password);
    expect(viaEmail.status).to.equal(429);
    expect(viaEmail.body).to.deep.equal({ detail: 'Too many requests' });
  });

  it('when an unknown login string is locked, then it answers 429 like an existing one, and other strings are not locked by it', async () => {
    await createAdmin(t.container, { login: 'neighbour' });
    for (let attempt = 1; attempt <= 10; attempt += 1) await login('no_such_admin', `wrong-pass-${attempt}`);
    expect((await login('no_such_admin', 'wrong-pass-x')).status).to.equal(429);
    expect((await login('neighbour', 'wrong-pass-x')).status).to.equal(401);
  });

  it('when a mistyped login is kept (audit, Redis keys), then it is a keyed fingerprint, not its plain SHA-256', async () => {
    const typedAsLogin = 'Summer2026!';
    await login(typedAsLogin, 'whatever-1');
    const plain = sha256Hex(typedAsLogin.toLowerCase());
    const [entry] = await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' }).whereNull('admin_id');
    expect(entry.new_value.reason).to.equal('unknown_login');
    expect(entry.new_value.login_fingerprint).to.match(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(entry)).to.not.include(plain).and.not.include('ummer2026');

    const { redis, config } = t.container.cradle;
    const keys = await redis.keys(`${config.redis.keyPrefix}{throttle}:*`);
    expect(keys).to.have.length.greaterThan(0);
    expect(keys.join(' ')).to.not.include(plain);
    expect(keys.join(' ')).to.include(entry.new_value.login_fingerprint);
  });

  it('when 2FA is on, then a right password alone neither counts nor clears the code guesses made between its logins', async () => {
    const admin = await createAdmin(t.container);
    const secret = await turnOnTotp(admin.id);
    const wrongCode = await generate({ secret, epoch: Math.floor(Date.now() / 1000) - 3600 });
    const tfa = async () => ({ Authorization: `Bearer ${(await login(admin.login, admin.password)).body.tfa_token as string}` });

    for (let attempt = 1; attempt <= 9; attempt += 1) {
      const guess = await t.http.post('/api/v1/2fa/complete').set(await tfa()).send({ code: wrongCode });
      expect(guess.status, `attempt ${attempt}`).to.equal(401);
    }
    // Nine guesses in; many right passwords later the budget is still one guess.
    const last = await t.http.post('/api/v1/2fa/complete').set(await tfa()).send({ code: wrongCode });
    expect(last.status).to.equal(401);
    const locked = await login(admin.login, admin.password);
    expect(locked.status).to.equal(429);
  });

  it('when a guarded check is refused before any secret is compared (a spent tfa token), then the attempt is handed back', async () => {
    const admin = await createAdmin(t.container);
    const secret = await turnOnTotp(admin.id);
    const token = (await login(admin.login, admin.password)).body.tfa_token as string;
    const now = Math.floor(Date.now() / 1000);
    const complete = (code: string) => t.http.post('/api/v1/2fa/complete').set('Authorization', `Bearer ${token}`).send({ code });
    expect((await complete(await generate({ secret, epoch: now }))).status).to.equal(200);
    for (let replay = 1; replay <= 12; replay += 1) {
      const again = await complete(await generate({ secret, epoch: now - 3600 }));
      expect(again.body, `replay ${replay}`).to.deep.equal({ detail: 'Invalid or expired token' });
    }
    const { redis, config } = t.container.cradle;
    expect(Number(await redis.get(`${config.redis.keyPrefix}{throttle}:attempts:${accountSubject(admin.id)}`))).to.equal(0);
  });
});

describe('auth: lock-out without Redis', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:1/5' });
  });
  after(() => t.close());

  it('when Redis is away, then a login is refused 503 before any password is checked (fails closed)', async () => {
    const admin = await createAdmin(t.container, { login: 'no_redis_admin' });
    const before = t.container.cradle.passwordHasher.completedTasks;
    const response = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(response.status).to.equal(503);
    expect(response.body).to.deep.equal({ detail: 'Service temporarily unavailable' });
    expect(t.container.cradle.passwordHasher.completedTasks).to.equal(before);
    await t.container.cradle.db('admin_users').where({ id: admin.id }).delete();
  });
});

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { ServiceUnavailableError } from '../../../src/shared/errors';
import { createTestApp, type TestApp } from '../../support/test-app';

const SOURCE_ROOT = path.resolve(__dirname, '../../../src');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const full = path.join(directory, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : /\.(ts|js)$/.test(name) && !name.endsWith('.map') ? [full] : [];
  });
}

describe('password hashing pool', () => {
  describe('with the configured cost', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ BCRYPT_COST: '10', HASH_POOL_THREADS: '2' });
    });
    after(() => t.close());

    it('when a password is hashed, then it is bcrypt at BCRYPT_COST and verifies only the same password', async () => {
      const hasher = t.container.cradle.passwordHasher;
      const hash = await hasher.hash('pässword-1');
      expect(hash).to.match(/^\$2b\$10\$/);
      expect(await hasher.verify('pässword-1', hash)).to.equal(true);
      expect(await hasher.verify('pässword-2', hash)).to.equal(false);
      expect(hasher.threads).to.equal(2);
    });

    it('when hashing is measured, then the pool reports its work in /metrics', async () => {
      await t.container.cradle.passwordHasher.hash('metrics-1a');
      const response = await t.http.get('/metrics').set('Authorization', `Bearer ${t.container.cradle.config.metricsToken}`);
      expect(response.text).to.match(/^password_hash_tasks_completed [1-9]\d*$/m);
      expect(response.text).to.match(/^password_hash_queue_size \d+$/m);
    });
  });

  describe('when closed with work still queued (shutdown)', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ HASH_POOL_THREADS: '1', BCRYPT_COST: '12' });
    });
    after(() => t.close());

    it('when the pool closes under queued hashes, then the running one finishes and the queued ones fail as 503-unavailable, not as internal errors', async () => {
      const hasher = t.container.cradle.passwordHasher;
      const tasks = Array.from({ length: 4 }, (_, i) => hasher.hash(`queued-pass-${i}`).then((hash) => ({ hash }), (error: unknown) => ({ error })));
      await new Promise((resolve) => setTimeout(resolve, 50)); // the first task is on the thread
      await hasher.close();
      const outcomes = await Promise.all(tasks);
      expect(outcomes[0]).to.have.property('hash').that.matches(/^\$2b\$12\$/);
      const refused = outcomes.slice(1).map((outcome) => ('error' in outcome ? outcome.error : undefined));
      for (const error of refused) expect(error).to.be.instanceOf(ServiceUnavailableError);
    });
  });

  describe('when saturated', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ HASH_POOL_THREADS: '1', HASH_POOL_MAX_QUEUE: '1' });
      await t.reset();
    });
    after(() => t.close());

    it('when more logins arrive than the queue holds, then the excess answers 503 with Retry-After and the rest complete', async () => {
      // A cost-12 hash keeps the single thread busy long enough for the queue to fill.
      const slowHash = await bcrypt.hash('slow-pass-12', 12);
      await t.container.cradle.db('admin_users').insert({ login: 'slow_admin', password_hash: slowHash, role: 'viewer' });
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => t.http.post('/api/v1/auth/login').send({ login_or_email: 'slow_admin', password: 'slow-pass-12' })),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses).to.include(200);
      expect(statuses).to.include(503);
      expect(statuses.every((s) => s === 200 || s === 503), statuses.join()).to.equal(true);
      const refused = responses.find((r) => r.status === 503)!;
      expect(refused.body).to.deep.equal({ detail: 'Service temporarily unavailable' });
      expect(Number(refused.headers['retry-after'])).to.be.greaterThan(0);
    });
  });

  describe('when saturated at the first unknown login', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp({ HASH_POOL_THREADS: '1', HASH_POOL_MAX_QUEUE: '1' });
      await t.reset();
    });
    after(() => t.close());

    it('when the dummy hash could not be made because the pool was full, then later unknown logins still answer 401 like wrong passwords', async () => {
      const slowHash = await bcrypt.hash('slow-pass-12', 12);
      await t.container.cradle.db('admin_users').insert({ login: 'known_one', password_hash: slowHash, role: 'viewer' });
      // Fill the single thread and the one-place queue, then ask for an unknown login.
      // `.then` sends the request now (supertest is lazy until then).
      const busy = [1, 2].map(() => t.http.post('/api/v1/auth/login').send({ login_or_email: 'known_one', password: 'wrong-pass-1' }).then((r) => r));
      const metrics = () => t.http.get('/metrics').set('Authorization', `Bearer ${t.container.cradle.config.metricsToken}`);
      for (let polls = 0; !/^password_hash_queue_size 1$/m.test((await metrics()).text); polls += 1) {
        expect(polls, 'the queue never filled').to.be.lessThan(200);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const saturated = await t.http.post('/api/v1/auth/login').send({ login_or_email: 'nobody_a', password: 'whatever-1' });
      expect(saturated.status).to.equal(503);
      await Promise.all(busy);

      const later = await t.http.post('/api/v1/auth/login').send({ login_or_email: 'nobody_b', password: 'whatever-1' });
      expect(later.status).to.equal(401);
      expect(later.body).to.deep.equal({ detail: 'Invalid credentials' });
    });
  });

  it('when the sources are searched, then no module under src/ loads bcrypt (hashing lives in the worker only)', () => {
    const offenders = sourceFiles(SOURCE_ROOT).filter((file) => /require\(["']bcrypt["']\)|from ["']bcrypt["']|\b(hashSync|compareSync|genSaltSync)\b/.test(readFileSync(file, 'utf8')));
    expect(offenders).to.deep.equal([]);
    expect(sourceFiles(SOURCE_ROOT).length).to.be.greaterThan(10);
  });
});

import { expect } from 'chai';
import fc from 'fast-check';
import { loadConfig, type Config } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { truncateAllTables } from '../../support/database';
import { testEnv } from '../../support/env';
import { createAdmin } from '../../support/fixtures';
import { deleteKeysWithPrefix } from '../../support/redis-keys';
import { FakeRemnawave } from '../../fakes/remnawave';
import { exchangeRaw, sendRaw } from '../../integration/http-edge/raw-http';
import { brokenFramingFor, requestFor, type AuthMode, type FuzzRequest } from './arbitraries';
import { operationsOf, type Operation } from './operations';
import { brokenRule } from './response-rules';

/**
 * Property-based fuzzing of every operation of our own OpenAPI document, on the real server
 * (real PostgreSQL, Redis, hash pool): bad bodies, parameters, headers and encodings, part of
 * them with a signed-in super_admin's token so authenticated handlers are reached too. The VPN
 * routes talk to a fake panel that checks every request it gets against the panel's contract (the
 * root hook fails the run on a violation), so hostile input cannot reach the panel malformed either.
 *
 * FUZZ_RUNS (total requests, default 400, spread evenly over the operations), FUZZ_SEED
 * (default fixed) and FUZZ_REQUEST_TIMEOUT_MS (default 10000: a slower answer counts as a hang).
 * A failure names the operation and fast-check's seed and path, which replay it exactly.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUEST_TIMEOUT_MS = Number(process.env.FUZZ_REQUEST_TIMEOUT_MS ?? 10_000);

const OWNER_PASSWORD = 'correct-horse-9';

interface Credentials {
  access: string;
  refresh: string;
}

describe('fuzz: every documented operation with hostile input', function () {
  this.timeout(120_000 + RUNS * 200);
  let running: RunningServer;
  let panel: FakeRemnawave;
  let config: Config;
  let operations: Operation[];
  let ownerRow: Record<string, unknown>;
  let credentials: Credentials;
  const knownIds: string[] = [];
  let signIns = 0;

  const signIn = async (): Promise<Credentials> => {
    const login = () =>
      sendRaw(running.port, {
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ login_or_email: ownerRow.login, password: OWNER_PASSWORD }),
      });
    let res = await login();
    if (res.status !== 200) {
      // The fuzz may have changed the owner's password, login or role, or locked it out: restore it.
      const { id, ...columns } = ownerRow;
      await running.container.cradle.db('admin_users').where({ id }).update(columns);
      await deleteKeysWithPrefix(running.container.cradle.redis, config.redis.keyPrefix);
      res = await login();
    }
    if (res.status !== 200) throw new Error(`the fuzz owner cannot sign in: ${res.status} ${res.text}`);
    signIns += 1;
    const body = res.json as { access_token: string; refresh_token: string };
    return { access: body.access_token, refresh: body.refresh_token };
  };

  before(async () => {
    panel = await new FakeRemnawave().start();
    config = loadConfig(testEnv(panel.env()));
    running = await startServer(config);
    const { db, redis } = running.container.cradle;
    await truncateAllTables(db);
    await deleteKeysWithPrefix(redis, config.redis.keyPrefix);
    const owner = await createAdmin(running.container, { login: 'fuzz_owner', role: 'super_admin', password: OWNER_PASSWORD });
    const other = await createAdmin(running.container, { login: 'fuzz_other', role: 'viewer' });
    ownerRow = await db('admin_users').where({ id: owner.id }).first();
    credentials = await signIn();
    const plan = await sendRaw(running.port, {
      method: 'POST',
      path: '/api/v1/plans',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${credentials.access}` },
      body: JSON.stringify({ name: 'Fuzz plan', tier: 'standard', duration_days: 30, price: 4.99, currency: 'USD' }),
    });
    expect(plan.status).to.equal(201);
    const sessions = await db('refresh_tokens').select('family_id').limit(1);
    knownIds.push(owner.id, other.id, (plan.json as { id: string }).id, ...sessions.map((s: { family_id: string }) => s.family_id));
    const vpnUser = panel.seedUser({ username: 'fuzz_vpn_user' });
    const node = panel.infra.seedNode();
    const host = panel.infra.seedHost();
    knownIds.push(String(vpnUser.id), node.uuid, host.uuid);

    const document = await sendRaw(running.port, { method: 'GET', path: '/openapi.json' });
    operations = operationsOf(document.json as Parameters<typeof operationsOf>[0]);
  });
  after(async () => {
    await running.stop();
    await panel.stop();
  });

  function authorize(request: FuzzRequest, garbage: string): Record<string, string> {
    const headers = { ...request.headers };
    const token = credentials.access;
    const modes: Record<AuthMode, () => void> = {
      none: () => {},
      valid: () => (headers.Authorization = `Bearer ${token}`),
      'valid-cookie': () => (headers.Cookie = `access_token=${token}; refresh_token=${credentials.refresh}`),
      'garbage-bearer': () => (headers.Authorization = `Bearer ${garbage}`),
      'garbage-scheme': () => (headers.Authorization = garbage),
      'garbage-cookie': () => (headers.Cookie = `access_token=${garbage}; refresh_token=${garbage}`),
      'valid-with-tail': () => (headers.Authorization = `Bearer ${token}${garbage.slice(0, 8) || 'x'}`),
    };
    modes[request.auth]();
    return headers;
  }

  it('walks the whole document (every operation is fuzzed below)', () => {
    expect(operations.length).to.be.greaterThan(30);
    for (const operation of operations) expect(operation.path, JSON.stringify(operation)).to.match(/^\//);
  });

  it(`answers every operation without a 5xx, a hang, a shape outside {detail} or a leak (${RUNS} requests, seed ${SEED})`, async () => {
    const perOperation = Math.max(3, Math.ceil(RUNS / operations.length));
    const env = testEnv();
    const secrets = [env.JWT_SECRET!, env.METRICS_TOKEN!, env.DATA_ENCRYPTION_KEY!, env.GITHUB_CLIENT_SECRET!, env.TELEGRAM_BOT_TOKEN!];
    let sent = 0;
    const statuses = new Map<number, number>();
    for (const [index, operation] of operations.entries()) {
      const property = fc.asyncProperty(requestFor(operation, { ids: knownIds }), async (request) => {
        const headers = authorize(request, request.garbage);
        const res = await sendRaw(running.port, { method: request.method, path: request.path, headers, body: request.body, timeoutMs: REQUEST_TIMEOUT_MS });
        sent += 1;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const problem = brokenRule(res, { path: request.path, secrets: [...secrets, credentials.access, credentials.refresh] });
        if (problem) throw new Error(`${request.method} ${request.path}: ${problem}`);
        // A session the fuzz ended (logout, revoke) or an account it changed: sign in again.
        if (res.status === 401 && request.auth.startsWith('valid')) {
          const me = await sendRaw(running.port, { method: 'GET', path: '/api/v1/auth/me', headers: { Authorization: `Bearer ${credentials.access}` } });
          if (me.status !== 200) credentials = await signIn();
        }
      });
      try {
        await fc.assert(property, { seed: SEED + index, numRuns: perOperation });
      } catch (error) {
        throw new Error(`${operation.method} ${operation.path} (FUZZ_SEED=${SEED}, operation ${index}): ${(error as Error).message}`, { cause: error });
      }
    }
    expect(sent).to.be.at.least(operations.length * perOperation);
    if (process.env.FUZZ_REPORT) process.stdout.write(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}\n`);
    // Not only refusals at the door: the traffic reached validation, the handlers and the body parser's every refusal.
    for (const status of [200, 400, 401, 404, 413, 415, 422]) expect(statuses.get(status) ?? 0, `answers with status ${status}`).to.be.greaterThan(0);
    // The signed-in part of the traffic really was signed in most of the time.
    expect(signIns).to.be.below(sent / 3);
  });

  it('answers broken framing (chunk sizes, header tokens, smuggling shapes) on every operation in our shape, then closes', async () => {
    const perOperation = Math.max(1, Math.ceil(RUNS / 10 / operations.length));
    for (const [index, operation] of operations.entries()) {
      const property = fc.asyncProperty(brokenFramingFor(operation, knownIds), async (bytes) => {
        const raw = await exchangeRaw(running.port, bytes, REQUEST_TIMEOUT_MS);
        const headEnd = raw.indexOf('\r\n\r\n');
        if (!raw.startsWith('HTTP/1.1 ') || headEnd === -1) throw new Error(`closed without an answer: ${JSON.stringify(raw.slice(0, 200))}`);
        const status = Number(raw.slice(9, 12));
        const type = /\r\ncontent-type: ([^\r]*)/i.exec(raw.slice(0, headEnd))?.[1] ?? '';
        let json: unknown;
        try {
          json = JSON.parse(raw.slice(headEnd + 4));
        } catch {
          json = undefined;
        }
        const problem = brokenRule({ status, headers: { 'content-type': type }, text: raw.slice(headEnd + 4), json }, { path: operation.path, secrets: [] });
        if (problem) throw new Error(problem);
      });
      try {
        await fc.assert(property, { seed: SEED + 1000 + index, numRuns: perOperation });
      } catch (error) {
        throw new Error(`${operation.method} ${operation.path} (FUZZ_SEED=${SEED}, framing ${index}): ${(error as Error).message}`, { cause: error });
      }
    }
  });
});

import { expect } from 'chai';
import type { AuditEntry } from '../../../src/modules/audit/audit.repository';
import type { Role } from '../../../src/shared/permissions';
import { sha256Hex } from '../../../src/shared/secrets';
import { reauthenticate } from '../../support/auth-helpers';
import { signedInAdmin } from './helpers';
import { DEFAULT_PASSWORD } from '../../support/fixtures';
import { inDays, panelSuite, type PanelSuite } from '../../support/panel-suite';
import { TEST_REDIS_PREFIX } from '../../support/env';
import { deleteKeysWithPrefix } from '../../support/redis-keys';
import { createTestApp, type TestApp } from '../../support/test-app';
import { generateApiKey } from '../../../src/modules/api-keys/api-key-format';

const KEYS = '/api/v1/admins/api-keys';
const KEY_FORMAT = /^cvpn_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/;
const INVALID = { detail: 'Invalid or expired token' };

describe('API keys: service credentials made by a super_admin', function () {
  this.timeout(60_000);
  let s: PanelSuite;

  before(async () => {
    // debug: every log line is kept, so the test of secrets in logs reads them all.
    s = await panelSuite({ LOG_LEVEL: 'debug' });
    await reauthenticate(s.t, s.as.super_admin.bearer, DEFAULT_PASSWORD);
  });
  after(() => s.close());
  beforeEach(() => {
    s.fake.reset();
    s.t.logs.clear();
  });

  const api = () => s.t.http;
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  /** A new key of that role, made over HTTP by the re-authenticated super_admin. */
  async function newKey(role: Role, extra: Record<string, unknown> = {}): Promise<{ id: string; key: string; prefix: string; name: string }> {
    const res = await api().post(KEYS).set(s.as.super_admin.bearer).send({ name: `svc-${role}-${Date.now()}`, role, ...extra });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body as { id: string; key: string; prefix: string; name: string };
  }

  it('POST /admins/api-keys: the key once, `cvpn_<public id>_<secret>`, stored as its SHA-256 only, audited without it', async () => {
    const res = await api().post(KEYS).set(s.as.super_admin.bearer).send({ name: 'telegram-bot', role: 'support', expires_at: inDays(30) });
    expect(res.status).to.equal(201);
    expect(res.body).to.include({ name: 'telegram-bot', role: 'support', status: 'active', created_by: s.as.super_admin.id });
    const key = res.body.key as string;
    const publicId = KEY_FORMAT.exec(key)?.[1];
    expect(publicId, key).to.be.a('string');
    expect(res.body.prefix).to.equal(`cvpn_${publicId}`);

    const row = await s.t.container.cradle.db('api_keys').where({ id: res.body.id }).first();
    expect(row.key_hash).to.equal(sha256Hex(key));
    expect(JSON.stringify(row)).to.not.include(key.slice(-43));

    const audit = await s.t.container.cradle.db<AuditEntry>('audit_logs').where({ action: 'api_key.created', entity_id: res.body.id });
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ admin_id: s.as.super_admin.id, entity_type: 'api_key' });
    expect(JSON.stringify(audit[0])).to.not.include(key.slice(-43)).and.not.include(row.key_hash);
  });

  it('creating a key needs a super_admin (manage_admins): admin and viewer are refused 403, even re-authenticated', async () => {
    for (const role of ['admin', 'viewer'] as const) {
      await reauthenticate(s.t, s.as[role].bearer, DEFAULT_PASSWORD);
      const res = await api().post(KEYS).set(s.as[role].bearer).send({ name: 'x', role: 'viewer' });
      expect(res.status, role).to.equal(403);
      expect(res.body).to.deep.equal({ detail: 'Insufficient permissions' });
      expect((await api().get(KEYS).set(s.as[role].bearer)).status, role).to.equal(403);
    }
  });

  it('creating a key needs a fresh re-authentication: a super_admin session without one is refused 403', async () => {
    const fresh = await signedInAdmin(s.t, 'super_admin');
    const res = await api().post(KEYS).set(fresh.bearer).send({ name: 'x', role: 'viewer' });
    expect(res.status).to.equal(403);
    expect(res.body).to.deep.equal({ detail: 'Re-authentication required' });
    expect(await s.t.container.cradle.db('api_keys').where({ created_by: fresh.id })).to.have.length(0);
  });

  it('a key never holds super_admin, nor an expiry in the past: 422', async () => {
    const superKey = await api().post(KEYS).set(s.as.super_admin.bearer).send({ name: 'x', role: 'super_admin' });
    expect(superKey.status).to.equal(422);
    const past = await api().post(KEYS).set(s.as.super_admin.bearer).send({ name: 'x', role: 'viewer', expires_at: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).to.equal(422);
    expect(JSON.stringify(past.body)).to.include('expires_at');
  });

  it('a key acts with its role\'s permissions: a viewer key reads VPN users but may not create one', async () => {
    const { key } = await newKey('viewer');
    s.fake.seedUser({ username: 'bob' });
    const read = await api().get('/api/v1/users').set(bearer(key));
    expect(read.status).to.equal(200);
    expect(read.body.items.map((user: { username: string }) => user.username)).to.include('bob');
    const write = await api().post('/api/v1/users').set(bearer(key)).send({ username: 'from_key', expire_at: inDays(30) });
    expect(write.status).to.equal(403);
    expect(s.fake.userCount).to.equal(1);
    expect((await api().get(KEYS).set(bearer(key))).status).to.equal(403);
  });

  it('a key has no account nor session: /auth/me, /auth/sessions and /2fa/reauth answer 403', async () => {
    const { key } = await newKey('admin');
    for (const [method, path] of [['get', '/api/v1/auth/me'], ['get', '/api/v1/auth/sessions'], ['post', '/api/v1/2fa/reauth']] as const) {
      const res = await api()[method](path).set(bearer(key)).send(method === 'post' ? { password: DEFAULT_PASSWORD } : undefined);
      expect(res.status, path).to.equal(403);
      expect(res.body, path).to.deep.equal({ detail: 'Insufficient permissions' });
    }
  });

  it('a key cannot ask for an OAuth link state (a link is a way into an admin account): 403', async () => {
    const { key } = await newKey('admin');
    const res = await api().get('/api/v1/oauth/github/authorize').set(bearer(key));
    expect(res.status).to.equal(403);
  });

  it('a change made with a key is audited with the key as the actor (api_key_id, no admin)', async () => {
    const { id, key } = await newKey('operator');
    const res = await api().post('/api/v1/users').set(bearer(key)).send({ username: 'made_by_key', expire_at: inDays(30) });
    expect(res.status).to.equal(201);
    const [entry] = await s.t.container.cradle.db<AuditEntry>('audit_logs').where({ action: 'vpn_user.created', entity_id: String(res.body.id) });
    expect(entry).to.include({ api_key_id: id, admin_id: null });
    const access = s.t.logs.entries.find((line) => line.message === 'request' && line.route === '/api/v1/users' && line.status === 201);
    expect(access).to.include({ service_key_id: id });
  });

  it('a revoked key is refused (401) on the very next request; the list shows it revoked; revoking again changes nothing', async () => {
    const { id, key } = await newKey('viewer');
    expect((await api().get('/api/v1/servers').set(bearer(key))).status).to.equal(200);
    expect((await api().delete(`${KEYS}/${id}`).set(s.as.super_admin.bearer)).status).to.equal(204);
    const refused = await api().get('/api/v1/servers').set(bearer(key));
    expect(refused.status).to.equal(401);
    expect(refused.body).to.deep.equal(INVALID);

    const listed = (await api().get(KEYS).set(s.as.super_admin.bearer)).body as Array<{ id: string; status: string }>;
    expect(listed.find((entry) => entry.id === id)).to.include({ status: 'revoked' });
    expect((await api().delete(`${KEYS}/${id}`).set(s.as.super_admin.bearer)).status).to.equal(204);
    const revocations = await s.t.container.cradle.db<AuditEntry>('audit_logs').where({ action: 'api_key.revoked', entity_id: id });
    expect(revocations).to.have.length(1);
    expect((await api().delete(`${KEYS}/00000000-0000-4000-8000-000000000000`).set(s.as.super_admin.bearer)).status).to.equal(404);
  });

  it('an expired key is refused (401) as soon as its expiry passes, and listed as expired', async () => {
    const { id, key } = await newKey('viewer', { expires_at: inDays(1) });
    expect((await api().get('/api/v1/servers').set(bearer(key))).status).to.equal(200);
    // Time passing: the expiry is moved into the past rather than waited for.
    await s.t.container.cradle.db('api_keys').where({ id }).update({ expires_at: new Date(Date.now() - 1000) });
    const refused = await api().get('/api/v1/servers').set(bearer(key));
    expect(refused.status).to.equal(401);
    expect(refused.body).to.deep.equal(INVALID);
    const listed = (await api().get(KEYS).set(s.as.super_admin.bearer)).body as Array<{ id: string; status: string }>;
    expect(listed.find((entry) => entry.id === id)).to.include({ status: 'expired' });
  });

  it('made-up, malformed or tampered keys are 401, never tried as a JWT', async () => {
    const { key } = await newKey('viewer');
    const tampered = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const candidate of [tampered, 'cvpn_000000000000_' + 'A'.repeat(43), 'cvpn_short', `${key}x`, `${key.slice(0, -1)}!`]) {
      const res = await api().get('/api/v1/servers').set(bearer(candidate));
      expect(res.status, candidate).to.equal(401);
      expect(res.body).to.deep.equal(INVALID);
    }
  });

  it('the list never holds a secret or a hash; neither does any log line of requests made with the key', async () => {
    const { key } = await newKey('viewer');
    await api().get('/api/v1/servers').set(bearer(key));
    await api().get('/api/v1/servers').set(bearer(`${key.slice(0, -2)}zz`));
    const list = await api().get(KEYS).set(s.as.super_admin.bearer);
    expect(list.status).to.equal(200);
    const hashes = (await s.t.container.cradle.db('api_keys').select('key_hash')).map((row: { key_hash: string }) => row.key_hash);
    expect(list.body.length).to.be.at.least(1);
    for (const item of list.body as Record<string, unknown>[]) {
      expect(item).to.have.keys(['id', 'name', 'prefix', 'role', 'status', 'created_by', 'created_at', 'expires_at', 'revoked_at']);
    }
    for (const hash of hashes) expect(list.text).to.not.include(hash);
    const secret = key.slice(-43);
    expect(list.text).to.not.include(secret);
    expect(s.t.logs.entries.length).to.be.greaterThan(0);
    expect(JSON.stringify(s.t.logs.entries)).to.not.include(secret).and.not.include(secret.slice(0, -2));
  });
});

describe('API keys: a rate-limit bucket of their own', function () {
  this.timeout(30_000);
  const LIMIT = 3;
  const prefix = `${TEST_REDIS_PREFIX}apikey-limits:${Date.now()}:`;
  let t: TestApp;

  before(async () => {
    // Its own Redis prefix: the IP bucket of 127.0.0.1 starts empty whatever ran before.
    t = await createTestApp({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_WINDOW: '60s', RATE_LIMIT_GLOBAL_MAX: String(LIMIT), REDIS_KEY_PREFIX: prefix });
  });
  after(async () => {
    await deleteKeysWithPrefix(t.container.cradle.redis, prefix);
    await t.close();
  });

  /** A live key straight in the table: making it over HTTP would spend the IP's small budget. */
  async function storedKey(): Promise<string> {
    const { key, publicId } = generateApiKey();
    await t.container.cradle.apiKeyRepository.insert({ public_id: publicId, name: 'bot', role: 'viewer', key_hash: sha256Hex(key), created_by: null, expires_at: null });
    return key;
  }

  const plans = (auth?: string) => {
    const request = t.http.get('/api/v1/plans');
    return auth ? request.set('Authorization', `Bearer ${auth}`) : request;
  };

  it('a valid key is counted under its own id, not its IP; made-up keys count against the IP', async () => {
    const [first, second] = [await storedKey(), await storedKey()];
    for (let i = 0; i < LIMIT; i += 1) expect((await plans()).status, `ip request ${i}`).to.equal(200);
    expect((await plans()).status, 'the IP is out of requests').to.equal(429);
    expect((await plans(generateApiKey().key)).status, 'an unknown key spends the IP bucket').to.equal(429);

    for (let i = 0; i < LIMIT; i += 1) expect((await plans(first)).status, `first key request ${i}`).to.equal(200);
    expect((await plans(first)).status, 'the first key is out of requests').to.equal(429);
    expect((await plans(second)).status, 'another key has its own bucket').to.equal(200);
  });
});

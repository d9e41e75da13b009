import { expect } from 'chai';
import { generate } from 'otplib';
import type { AdminRecord } from '../../../src/modules/admins/admins.repository';
import { decryptSecret } from '../../../src/shared/secrets';
import { reauthenticate } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { decodeQrDataUrl } from '../../support/qr';
import { createTestApp, type TestApp } from '../../support/test-app';

const STEP = 30;

/**
 * The tests use codes of the current step and of the steps either side of it; all three stay in
 * the window only while the step does not change, so a test starts early in a step.
 */
async function earlyInAStep(): Promise<number> {
  const intoStep = (Date.now() / 1000) % STEP;
  if (intoStep > STEP - 12) await new Promise((resolve) => setTimeout(resolve, (STEP - intoStep + 0.2) * 1000));
  return Math.floor(Date.now() / 1000);
}

const codeAt = (secret: string, epoch: number) => generate({ secret, epoch });

describe('two-factor: setup, login with a second factor, backup codes, disable', function () {
  this.timeout(40_000);
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  async function signedIn(overrides: Parameters<typeof createAdmin>[1] = {}) {
    const admin = await createAdmin(t.container, overrides);
    const res = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return { admin, auth: { Authorization: `Bearer ${res.body.access_token as string}` } };
  }

  /** setup -> verify with the current step's code: 2FA on. */
  async function withTwoFactor(now: number) {
    const session = await signedIn();
    await reauthenticate(t, session.auth, session.admin.password);
    const setup = await t.http.post('/api/v1/2fa/setup').set(session.auth).send();
    expect(setup.status, JSON.stringify(setup.body)).to.equal(200);
    const secret = setup.body.secret as string;
    const verify = await t.http.post('/api/v1/2fa/verify').set(session.auth).send({ code: await codeAt(secret, now) });
    expect(verify.status, JSON.stringify(verify.body)).to.equal(200);
    return { ...session, secret, backupCodes: verify.body.backup_codes as string[] };
  }

  const login = (admin: { login: string; password: string }, extra: Record<string, unknown> = {}) =>
    t.http.post('/api/v1/auth/login').send({ login_or_email: admin.login, password: admin.password, ...extra });

  const adminRow = async (id: string) => (await t.container.cradle.db<AdminRecord>('admin_users').where({ id }).first()) as AdminRecord;

  it('when setup is verified with a code, then 2FA is on with 10 hashed backup codes and the secret encrypted', async () => {
    const now = await earlyInAStep();
    const { admin, auth } = await signedIn();
    expect((await t.http.get('/api/v1/2fa/status').set(auth)).body).to.deep.equal({ enabled: false, status: 'disabled', backup_codes_left: 0 });

    const refused = await t.http.post('/api/v1/2fa/setup').set(auth).send();
    expect(refused.status, 'a stolen token alone cannot start 2FA').to.equal(403);
    expect(refused.body).to.deep.equal({ detail: 'Re-authentication required' });
    expect((await t.http.post('/api/v1/2fa/reauth').set(auth).send({ password: 'not-the-password-1' })).status).to.equal(401);
    expect((await t.http.post('/api/v1/2fa/setup').set(auth).send()).status, 'a wrong password marks nothing').to.equal(403);
    await reauthenticate(t, auth, admin.password);
    const setup = await t.http.post('/api/v1/2fa/setup').set(auth).send();
    expect(setup.status).to.equal(200);
    const secret = setup.body.secret as string;
    expect(secret).to.match(/^[A-Z2-7]{16,}$/);
    expect(setup.body.otpauth_uri).to.match(/^otpauth:\/\/totp\//).and.include(`secret=${secret}`);
    expect(decodeQrDataUrl(setup.body.qr_uri), 'the QR image scans as the otpauth URI').to.equal(setup.body.otpauth_uri);
    // Pending only: nothing in the account yet, and login still needs no code.
    expect((await adminRow(admin.id)).totp_secret_encrypted).to.equal(null);

    const wrong = await t.http.post('/api/v1/2fa/verify').set(auth).send({ code: await codeAt(secret, now - 3600) });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.deep.equal({ detail: 'Invalid credentials' });

    const verify = await t.http.post('/api/v1/2fa/verify').set(auth).send({ code: await codeAt(secret, now) });
    expect(verify.status).to.equal(200);
    const codes = verify.body.backup_codes as string[];
    expect(codes).to.have.length(10);
    expect(new Set(codes).size).to.equal(10);

    const row = await adminRow(admin.id);
    expect(row.totp_enabled).to.equal(true);
    expect(row.totp_secret_encrypted).to.be.a('string').and.not.include(secret);
    expect(decryptSecret(row.totp_secret_encrypted as string, t.container.cradle.config.dataEncryptionKey)).to.equal(secret);
    expect(row.backup_code_hashes).to.have.length(10);
    for (const code of codes) expect(row.backup_code_hashes.join(' ')).not.to.include(code);

    expect((await t.http.get('/api/v1/2fa/status').set(auth)).body).to.deep.equal({ enabled: true, status: 'enabled', backup_codes_left: 10 });
    const again = await t.http.post('/api/v1/2fa/setup').set(auth).send();
    expect(again.status).to.equal(409);
    expect(again.body).to.deep.equal({ detail: 'Two-factor already exists' });
    expect((await t.http.post('/api/v1/2fa/verify').set(auth).send({ code: await codeAt(secret, now + STEP) })).status).to.equal(409);
  });

  it('when verify comes without a setup, then it is 404 and nothing changes', async () => {
    const { admin, auth } = await signedIn();
    const res = await t.http.post('/api/v1/2fa/verify').set(auth).send({ code: '123456' });
    expect(res.status).to.equal(404);
    expect(res.body).to.deep.equal({ detail: 'Two-factor setup not found' });
    expect((await adminRow(admin.id)).totp_enabled).to.equal(false);
    const validate = await t.http.post('/api/v1/2fa/validate').set(auth).send({ code: '123456' });
    expect(validate.status).to.equal(404);
    expect(validate.body).to.deep.equal({ detail: 'Two-factor not found' });
  });

  it('when 2FA is on, then login asks for the code, /2fa/complete takes it once, and totp_code in login works too', async () => {
    const now = await earlyInAStep();
    const { admin, secret } = await withTwoFactor(now);

    const first = await login(admin);
    expect(first.status).to.equal(200);
    expect(first.body.requires_2fa).to.equal(true);
    expect(first.body).not.to.have.property('access_token');

    // The current step was spent by verify: the next step's code is still inside the window.
    const next = await codeAt(secret, now + STEP);
    const complete = await t.http.post('/api/v1/2fa/complete').set('Authorization', `Bearer ${first.body.tfa_token as string}`).send({ code: next });
    expect(complete.status, JSON.stringify(complete.body)).to.equal(200);
    expect(complete.body.token_type).to.equal('bearer');
    expect(String(complete.headers['set-cookie'])).to.include('access_token=');
    const me = await t.http.get('/api/v1/auth/me').set('Authorization', `Bearer ${complete.body.access_token as string}`);
    expect(me.body).to.include({ login: admin.login, totp_enabled: true });

    // Replay: the same code again, through either door, is refused.
    const second = await login(admin);
    const replay = await t.http.post('/api/v1/2fa/complete').set('Authorization', `Bearer ${second.body.tfa_token as string}`).send({ code: next });
    expect(replay.status).to.equal(401);
    expect(replay.body).to.deep.equal({ detail: 'Invalid credentials' });
    expect((await login(admin, { totp_code: next })).status).to.equal(401);

    // The previous step's code is fresh and inside the window.
    const previous = await codeAt(secret, now - STEP);
    const direct = await login(admin, { totp_code: previous });
    expect(direct.status, JSON.stringify(direct.body)).to.equal(200);
    expect(direct.body.access_token).to.be.a('string');
    expect((await login(admin, { totp_code: previous })).status).to.equal(401);

    // Out of the window.
    expect((await login(admin, { totp_code: await codeAt(secret, now + 3 * STEP) })).status).to.equal(401);
  });

  it('when a backup code is used, then it signs in once and the count drops', async () => {
    const now = await earlyInAStep();
    const { admin, auth, backupCodes } = await withTwoFactor(now);
    const code = backupCodes[3] as string;

    const used = await login(admin, { totp_code: code.toLowerCase() });
    expect(used.status, JSON.stringify(used.body)).to.equal(200);
    expect((await login(admin, { totp_code: code })).status).to.equal(401);
    const first = await login(admin);
    const viaComplete = await t.http
      .post('/api/v1/2fa/complete')
      .set('Authorization', `Bearer ${first.body.tfa_token as string}`)
      .send({ code: backupCodes[4] });
    expect(viaComplete.status).to.equal(200);
    expect((await t.http.get('/api/v1/2fa/status').set(auth)).body).to.deep.equal({ enabled: true, status: 'enabled', backup_codes_left: 8 });
  });

  it('when a code is validated, then it is valid once (the replay guard applies)', async () => {
    const now = await earlyInAStep();
    const { auth, secret } = await withTwoFactor(now);
    const code = await codeAt(secret, now + STEP);
    expect((await t.http.post('/api/v1/2fa/validate').set(auth).send({ code })).body).to.deep.equal({ valid: true });
    expect((await t.http.post('/api/v1/2fa/validate').set(auth).send({ code })).body).to.deep.equal({ valid: false });
    expect((await t.http.post('/api/v1/2fa/validate').set(auth).send({ code: await codeAt(secret, now) })).body).to.deep.equal({ valid: false });
    const malformed = await t.http.post('/api/v1/2fa/validate').set(auth).send({});
    expect(malformed.status).to.equal(422);
  });

  it('when 2FA is disabled with the password and a code together, then login needs no code; a wrong one or one alone changes nothing', async () => {
    const now = await earlyInAStep();
    const { admin, auth, secret } = await withTwoFactor(now);

    const wrong = await t.http.post('/api/v1/2fa/disable').set(auth).send({ password: 'not-the-password-1', code: await codeAt(secret, now - STEP) });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.deep.equal({ detail: 'Invalid credentials' });
    expect((await adminRow(admin.id)).totp_enabled).to.equal(true);
    expect((await t.http.post('/api/v1/2fa/disable').set(auth).send({ password: admin.password })).status, 'a password alone').to.equal(422);
    expect((await t.http.post('/api/v1/2fa/disable').set(auth).send({ code: await codeAt(secret, now - STEP) })).status, 'a code alone').to.equal(422);
    expect((await t.http.post('/api/v1/2fa/disable').set(auth).send({ password: admin.password, code: '123456' })).status).to.equal(401);
    expect((await adminRow(admin.id)).totp_enabled).to.equal(true);

    const disabled = await t.http.post('/api/v1/2fa/disable').set(auth).send({ password: admin.password, code: await codeAt(secret, now - STEP) });
    expect(disabled.status, JSON.stringify(disabled.body)).to.equal(204);
    const row = await adminRow(admin.id);
    expect(row).to.include({ totp_enabled: false, totp_secret_encrypted: null });
    expect(row.backup_code_hashes).to.deep.equal([]);
    expect((await t.http.get('/api/v1/2fa/status').set(auth)).body).to.deep.equal({ enabled: false, status: 'disabled', backup_codes_left: 0 });
    const plain = await login(admin);
    expect(plain.body.access_token).to.be.a('string');
    expect((await t.http.post('/api/v1/2fa/disable').set(auth).send({})).status).to.equal(404);
  });

  it('when 2FA is disabled on a re-authenticated session, then no body is needed; without the mark it is 403; reauth needs the code', async () => {
    const now = await earlyInAStep();
    const { admin, secret } = await withTwoFactor(now);
    // withTwoFactor re-authenticated this session; a new session has no mark.
    const other = await login(admin, { totp_code: await codeAt(secret, now + STEP) });
    const otherAuth = { Authorization: `Bearer ${other.body.access_token as string}` };
    const unmarked = await t.http.post('/api/v1/2fa/disable').set(otherAuth).send({});
    expect(unmarked.status).to.equal(403);
    expect(unmarked.body).to.deep.equal({ detail: 'Re-authentication required' });

    const passwordOnly = await t.http.post('/api/v1/2fa/reauth').set(otherAuth).send({ password: admin.password });
    expect(passwordOnly.status, 'with 2FA on, the password alone does not re-authenticate').to.equal(401);
    expect(passwordOnly.body).to.deep.equal({ detail: 'Invalid credentials' });
    expect((await t.http.post('/api/v1/2fa/reauth').set(otherAuth).send({ password: admin.password, code: '000000' })).status).to.equal(401);
    expect((await t.http.post('/api/v1/2fa/disable').set(otherAuth).send({})).status).to.equal(403);

    await reauthenticate(t, otherAuth, admin.password, await codeAt(secret, now - STEP));
    expect((await t.http.post('/api/v1/2fa/disable').set(otherAuth).send({})).status).to.equal(204);
    expect((await adminRow(admin.id)).totp_enabled).to.equal(false);
  });

  it('when the 2FA routes are used, then each step is audited and no audit entry holds a secret or a code', async () => {
    const now = await earlyInAStep();
    const { admin, auth, secret, backupCodes } = await withTwoFactor(now);
    await login(admin, { totp_code: backupCodes[0] });
    await t.http.post('/api/v1/2fa/disable').set(auth).send({ password: 'wrong-password-1', code: await codeAt(secret, now - STEP) });
    await t.http.post('/api/v1/2fa/disable').set(auth).send({ password: admin.password, code: await codeAt(secret, now - STEP) });

    const entries = await t.container.cradle.db('audit_logs').where({ entity_id: admin.id }).orderBy('created_at');
    const actions = entries.map((entry: { action: string }) => entry.action);
    expect(actions).to.include.members([
      'two_factor.setup_started',
      'two_factor.enabled',
      'two_factor.backup_code_used',
      'two_factor.disable_failed',
      'two_factor.disabled',
    ]);
    const everything = JSON.stringify(entries);
    for (const secretText of [secret, ...backupCodes, admin.password, 'wrong-password-1']) expect(everything).not.to.include(secretText);
  });

  it('when the 2FA routes are called without a token, then they answer 401', async () => {
    for (const path of ['/api/v1/2fa/reauth', '/api/v1/2fa/setup', '/api/v1/2fa/verify', '/api/v1/2fa/validate', '/api/v1/2fa/disable']) {
      expect((await t.http.post(path).send({ code: '123456' })).status, path).to.equal(401);
    }
    expect((await t.http.get('/api/v1/2fa/status')).status).to.equal(401);
  });

  it('when a spent tfa token is replayed with a backup code, then it is refused before the code is looked at and the code stays unspent', async () => {
    const now = await earlyInAStep();
    const { admin, auth, secret, backupCodes } = await withTwoFactor(now);
    const first = await login(admin);
    const tfa = { Authorization: `Bearer ${first.body.tfa_token as string}` };
    expect((await t.http.post('/api/v1/2fa/complete').set(tfa).send({ code: await codeAt(secret, now + STEP) })).status).to.equal(200);

    const replay = await t.http.post('/api/v1/2fa/complete').set(tfa).send({ code: backupCodes[0] });
    expect(replay.status).to.equal(401);
    expect(replay.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect((await t.http.get('/api/v1/2fa/status').set(auth)).body.backup_codes_left).to.equal(10);
  });

  it('when a wrong code is sent to /2fa/complete, then the same tfa token may try again', async () => {
    const now = await earlyInAStep();
    const { admin, secret } = await withTwoFactor(now);
    const tfa = { Authorization: `Bearer ${(await login(admin)).body.tfa_token as string}` };
    expect((await t.http.post('/api/v1/2fa/complete').set(tfa).send({ code: await codeAt(secret, now - 3600) })).status).to.equal(401);
    expect((await t.http.post('/api/v1/2fa/complete').set(tfa).send({ code: await codeAt(secret, now + STEP) })).status).to.equal(200);
  });

  it('when second-factor guesses arrive under the login and the email, then they share one budget for the account', async () => {
    const now = await earlyInAStep();
    const { admin, secret } = await withTwoFactor(now);
    const wrong = await codeAt(secret, now - 3600);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const name = attempt % 2 === 0 ? admin.login : (admin.email as string);
      const response = await t.http.post('/api/v1/auth/login').send({ login_or_email: name, password: admin.password, totp_code: wrong });
      expect(response.status, `attempt ${attempt}`).to.equal(401);
    }
    const locked = await t.http.post('/api/v1/auth/login').send({ login_or_email: admin.email, password: admin.password, totp_code: await codeAt(secret, now) });
    expect(locked.status).to.equal(429);
    expect(Number(locked.headers['retry-after'])).to.be.greaterThan(0);
  });
});

import { expect } from 'chai';
import { reauthenticate, signIn, type SignedIn } from '../../support/auth-helpers';
import { createAdmin } from '../../support/fixtures';
import { createTestApp, type TestApp } from '../../support/test-app';
import { keepLoginState, withNonceOf } from './login-states';
import { nowSeconds, signWidget, type WidgetFields } from './telegram-widget';

const REAUTH_REQUIRED = { detail: 'Re-authentication required' };

/**
 * Review finding 1: with only a stolen session, a thief linked their own Telegram to the victim,
 * and the link survived every remedy (change password, logout-all, revoke-sessions), a
 * permanent takeover. Now a link state and the link itself need a re-authenticated session, the
 * owner sees the links, and each remedy removes them. Finding 8: a link spends its payload.
 */
describe('oauth: linking needs re-authentication, and the remedies remove links', function () {
  this.timeout(60_000);
  let t: TestApp;
  let botToken: string;

  before(async () => {
    t = await createTestApp();
    botToken = t.container.cradle.config.telegram.botToken;
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  let sequence = 0;
  /** The thief's own Telegram, signed as the widget would sign it (a distinct payload each time). */
  const thiefWidget = (): WidgetFields =>
    signWidget({ id: 424242, username: 'attacker_tg', first_name: `Mallory ${(sequence += 1)}`, auth_date: nowSeconds() }, botToken);
  const authorizeAs = (auth: Record<string, string>) => t.http.get('/api/v1/oauth/telegram/authorize').set(auth);
  const linkAs = async (auth: Record<string, string>, payload = thiefWidget()) => {
    const state = (await authorizeAs(auth)).body.state as string;
    return t.http
      .post('/api/v1/oauth/telegram/callback')
      .set(auth)
      .send({ ...payload, state });
  };
  const telegramLogin = async (payload = thiefWidget()) => {
    const state = keepLoginState(await t.http.get('/api/v1/oauth/telegram/authorize'));
    return t.http
      .post('/api/v1/auth/oauth/telegram/login')
      .set(withNonceOf(state))
      .send({ ...payload, state });
  };
  const links = () => t.container.cradle.db('oauth_accounts');
  const unlinkAudits = async () =>
    (await t.container.cradle.db('audit_logs').where({ action: 'oauth.unlinked' })).map((row: { new_value: { reason?: string } | null }) => row.new_value?.reason);

  async function victim(role: 'super_admin' | 'admin' = 'super_admin'): Promise<SignedIn & { id: string; password: string; login: string }> {
    const admin = await createAdmin(t.container, { role });
    return { ...(await signIn(t, admin.login, admin.password)), id: admin.id, password: admin.password, login: admin.login };
  }

  it('when a thief holds only a stolen access token, then no link state is issued, a callback is refused and nothing is linked (the review reproduction)', async () => {
    const owner = await victim();
    const stolen = owner.bearer;

    const authorize = await authorizeAs(stolen);
    expect(authorize.status).to.equal(403);
    expect(authorize.body).to.deep.equal(REAUTH_REQUIRED);
    expect(authorize.body).not.to.have.property('state');
    const githubAuthorize = await t.http.get('/api/v1/oauth/github/authorize').set(stolen);
    expect(githubAuthorize.status).to.equal(403);

    // Even with a state in hand (issued to this admin while the owner had re-authenticated), the link itself needs the mark.
    const owners = await signIn(t, owner.login, owner.password);
    await reauthenticate(t, owners.bearer, owner.password);
    const state = (await authorizeAs(owners.bearer)).body.state as string;
    const callback = await t.http
      .post('/api/v1/oauth/telegram/callback')
      .set(stolen)
      .send({ ...thiefWidget(), state });
    expect(callback.status).to.equal(403);
    expect(callback.body).to.deep.equal(REAUTH_REQUIRED);
    expect(await links()).to.have.length(0);
    expect((await telegramLogin()).status).to.equal(401);
  });

  it('when the owner lists the linked accounts, then each link shows, with no token, and unlinking needs the mark', async () => {
    const owner = await victim();
    expect((await t.http.get('/api/v1/oauth/accounts').set(owner.bearer)).body).to.deep.equal([]);
    await reauthenticate(t, owner.bearer, owner.password);
    expect((await linkAs(owner.bearer)).status).to.equal(200);

    const listed = await t.http.get('/api/v1/oauth/accounts').set(owner.bearer);
    expect(listed.status).to.equal(200);
    expect(listed.body).to.have.length(1);
    expect(listed.body[0]).to.include({ provider: 'telegram', provider_user_id: '424242', provider_username: 'attacker_tg' });
    expect(Object.keys(listed.body[0])).to.have.members(['provider', 'provider_user_id', 'provider_username', 'linked_at']);

    const otherSession = await signIn(t, owner.login, owner.password);
    const unmarked = await t.http.delete('/api/v1/oauth/telegram').set(otherSession.bearer);
    expect(unmarked.status).to.equal(403);
    expect(unmarked.body).to.deep.equal(REAUTH_REQUIRED);
    expect(await links()).to.have.length(1);
    await reauthenticate(t, otherSession.bearer, owner.password);
    expect((await t.http.delete('/api/v1/oauth/telegram').set(otherSession.bearer)).status).to.equal(204);
    expect(await links()).to.have.length(0);
  });

  /** A thief who once re-authenticated (knew the password) linked their Telegram; the owner reaches for a remedy. */
  const remedies: Array<[string, string, (owner: Awaited<ReturnType<typeof victim>>) => Promise<number>]> = [
    [
      'change-password',
      'password_changed',
      async (owner) => {
        const fresh = await signIn(t, owner.login, owner.password);
        return (
          await t.http
            .post('/api/v1/auth/change-password')
            .set(fresh.bearer)
            .send({ current_password: owner.password, new_password: 'Passw0rd-vic3-NEW' })
        ).status;
      },
    ],
    [
      'logout-all',
      'logout_all',
      async (owner) => (await t.http.post('/api/v1/auth/logout-all').set((await signIn(t, owner.login, owner.password)).bearer)).status,
    ],
    [
      "another admin's revoke-sessions",
      'revoked_by_admin',
      async (owner) => {
        const boss = await victim();
        return (await t.http.post(`/api/v1/admins/${owner.id}/revoke-sessions`).set(boss.bearer)).status;
      },
    ],
    [
      'deactivation',
      'deactivated',
      async (owner) => {
        const boss = await victim();
        return (await t.http.patch(`/api/v1/admins/${owner.id}`).set(boss.bearer).send({ is_active: false })).status;
      },
    ],
  ];
  for (const [remedy, reason, apply] of remedies) {
    it(`when the owner (or an admin) uses ${remedy} after a thief linked their Telegram, then the link is gone, audited, and the thief cannot sign in`, async () => {
      const owner = await victim();
      const thief = await signIn(t, owner.login, owner.password);
      await reauthenticate(t, thief.bearer, owner.password);
      const linked = await linkAs(thief.bearer);
      expect(linked.status, JSON.stringify(linked.body)).to.equal(200);

      expect(await apply(owner)).to.be.oneOf([200, 204]);
      expect(await links(), 'no link survives the remedy').to.have.length(0);
      expect(await unlinkAudits()).to.deep.equal([reason]);

      const back = await telegramLogin();
      expect(back.status).to.equal(401);
      expect(back.body).to.deep.equal({ detail: 'Invalid credentials' });
      expect((await t.http.get('/api/v1/auth/me').set(thief.bearer)).status, 'the thief session is gone too').to.equal(401);
    });
  }

  it('when a Telegram payload was used to link, then it cannot sign in afterwards (it is spent)', async () => {
    const owner = await victim();
    await reauthenticate(t, owner.bearer, owner.password);
    const payload = thiefWidget();
    expect((await linkAs(owner.bearer, payload)).status).to.equal(200);
    const replay = await telegramLogin(payload);
    expect(replay.status).to.equal(401);
    const reasons = (await t.container.cradle.db('audit_logs').where({ action: 'auth.login_failed' })).map(
      (row: { new_value: { reason: string } }) => row.new_value.reason,
    );
    expect(reasons).to.deep.equal(['telegram_payload_reused']);
    expect((await telegramLogin()).status, 'a fresh payload still signs in').to.equal(200);
  });
});

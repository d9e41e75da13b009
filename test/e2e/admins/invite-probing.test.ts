import { expect } from 'chai';
import { MAX_INVITE_ATTEMPTS } from '../../../src/modules/admins/invite-policy';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createAdmin } from '../../support/fixtures';
import { auditRowsOf, signedInAdmin } from './helpers';

/**
 * Review finding 7: a refused registration (duplicate login or email, another email than the
 * invite's) leaves the invite usable, so one invite could probe which logins and emails exist
 * without limit. Each invite now allows MAX_INVITE_ATTEMPTS registration attempts in all.
 */
describe('admins: an invite cannot probe accounts without limit', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  async function invite(body: Record<string, unknown> = { role: 'viewer' }) {
    const boss = await signedInAdmin(t);
    const res = await t.http.post('/api/v1/admins/invites').set(boss.bearer).send(body);
    return { token: res.body.invite_token as string, id: res.body.id as string };
  }

  const register = (token: string, login: string, email = `${login}@example.test`) =>
    t.http.post('/api/v1/auth/register').send({ invite_token: token, login, email, password: 'Sturdy-pass-42' });

  it('when the attempts are used up by duplicates, then the invite is revoked (audited) and answers like an unknown one', async () => {
    expect(MAX_INVITE_ATTEMPTS).to.equal(5);
    await createAdmin(t.container, { login: 'taken', email: 'taken@example.test' });
    const { token, id } = await invite();
    const answers: number[] = [];
    let lastRequestId = '';
    for (let i = 1; i <= MAX_INVITE_ATTEMPTS; i += 1) {
      const res = await register(token, i % 2 ? 'taken' : `fresh${i}`, i % 2 ? `fresh${i}@example.test` : 'taken@example.test');
      answers.push(res.status);
      lastRequestId = res.headers['x-request-id'] as string;
    }
    expect(answers).to.deep.equal([409, 409, 409, 409, 409]);
    const spent = await register(token, 'honest');
    expect(spent.status).to.equal(401);
    expect(spent.body).to.deep.equal({ detail: 'Invalid or expired token' });
    expect(await t.container.cradle.db('admin_users').where({ login: 'honest' }).first()).to.equal(undefined);

    const row = await t.container.cradle.db('admin_invites').where({ id }).first();
    expect(row.revoked_at).to.be.instanceOf(Date);
    expect(row.revoked_by).to.equal(null);
    const audit = (await auditRowsOf(t, lastRequestId)).filter((entry) => entry.action === 'admin_invite.revoked');
    expect(audit).to.have.length(1);
    expect(audit[0]).to.include({ entity_type: 'admin_invite', entity_id: id });
    expect(audit[0]?.new_value).to.deep.include({ reason: 'too_many_attempts' });
  });

  it('when an honest invitee mistypes a few times, then the 409 still names the field and the invite still works', async () => {
    await createAdmin(t.container, { login: 'taken', email: 'taken@example.test' });
    const { token } = await invite();
    for (let i = 1; i < MAX_INVITE_ATTEMPTS; i += 1) {
      const res = await register(token, 'taken', `me${i}@example.test`);
      expect(res.status).to.equal(409);
      expect(res.body).to.deep.equal({ detail: 'Login already exists' });
    }
    expect((await register(token, 'me_at_last')).status).to.equal(201);
  });

  it('when the wrong email is tried against a bound invite, then those attempts count as well', async () => {
    const { token } = await invite({ role: 'viewer', email: 'bound@example.test' });
    for (let i = 1; i <= MAX_INVITE_ATTEMPTS; i += 1) {
      expect((await register(token, `guess${i}`, `guess${i}@example.test`)).status).to.equal(422);
    }
    expect((await register(token, 'bound', 'bound@example.test')).status).to.equal(401);
  });

  it('when many probes race on one invite, then no more than the allowed attempts are answered 409', async () => {
    await createAdmin(t.container, { login: 'taken', email: 'taken@example.test' });
    const { token } = await invite();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => register(token, 'taken', `race${i}@example.test`)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 409).length).to.be.at.most(MAX_INVITE_ATTEMPTS);
    expect(statuses.filter((status) => status !== 409 && status !== 401)).to.deep.equal([]);
    expect((await register(token, 'after_race')).status).to.equal(401);
  });

  it('when a request is refused before the invite is looked at (422 on the body), then it costs no attempt', async () => {
    const { token, id } = await invite();
    for (let i = 0; i < MAX_INVITE_ATTEMPTS + 2; i += 1) {
      const res = await t.http.post('/api/v1/auth/register').send({ invite_token: token, login: 'bad login!', email: 'x@example.test', password: 'Sturdy-pass-42' });
      expect(res.status).to.equal(422);
    }
    expect((await t.container.cradle.db('admin_invites').where({ id }).first()).attempts).to.equal(0);
    expect((await register(token, 'fine')).status).to.equal(201);
  });
});

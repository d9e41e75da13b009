import { expect } from 'chai';
import { accountSubject, verdict, type LoginThrottle, type ThrottleSubject } from '../../../src/modules/auth/login-throttle';
import { RateLimitedError, ServiceUnavailableError } from '../../../src/shared/errors';
import { createTestApp, type TestApp } from '../../support/test-app';

/** LoginThrottle.guard against the real Redis: how each kind of outcome settles the reserved attempt. */
describe('login throttle: guard', () => {
  let t: TestApp;
  let throttle: LoginThrottle;
  before(async () => {
    t = await createTestApp();
    throttle = t.container.cradle.loginThrottle;
  });
  after(() => t.close());
  beforeEach(() => t.reset());

  const attempts = async (subject: ThrottleSubject) =>
    Number(await t.container.cradle.redis.get(`${t.container.cradle.config.redis.keyPrefix}{throttle}:attempts:${subject}`));
  const rejection = (work: Promise<unknown>) => work.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
  const fail = (subjects: ThrottleSubject[]) => throttle.guard(subjects, async () => verdict.wrongAnswer('no')).then(() => undefined);

  it('when a check throws, then the attempt stays a failure; when it throws "unavailable", then it is handed back', async () => {
    const subject = accountSubject('00000000-0000-0000-0000-00000000000a');
    const boom = new Error('compared, then broke');
    expect(await rejection(throttle.guard([subject], () => Promise.reject(boom)))).to.equal(boom);
    expect(await attempts(subject)).to.equal(1);
    const away = new ServiceUnavailableError('password hashing', 2);
    expect(await rejection(throttle.guard([subject], () => Promise.reject(away)))).to.equal(away);
    expect(await attempts(subject)).to.equal(1);
  });

  it('when one of several subjects is locked, then the guard refuses before the check and takes no attempt on the others', async () => {
    const locked = accountSubject('00000000-0000-0000-0000-00000000000b');
    const other = throttle.loginSubject('Someone');
    for (let i = 0; i < 10; i += 1) await fail([locked]);
    let checked = false;
    const refused = await rejection(
      throttle.guard([other, locked], async () => {
        checked = true;
        return verdict.proven('in');
      }),
    );
    expect(refused).to.be.instanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).to.be.within(1, 60);
    expect(checked).to.equal(false);
    expect(await attempts(other)).to.equal(0);
  });

  it('when the proof is whole, then every subject is cleared; when it is partial or not checked, then the count stays', async () => {
    const subject = accountSubject('00000000-0000-0000-0000-00000000000c');
    for (let i = 0; i < 3; i += 1) await fail([subject]);
    expect(await throttle.guard([subject], async () => verdict.partlyProven('half'))).to.equal('half');
    expect(await rejection(throttle.guard([subject], async () => verdict.notChecked(new Error('spent token'))))).to.have.property('message', 'spent token');
    expect(await attempts(subject)).to.equal(3);
    expect(await throttle.guard([subject], async () => verdict.proven('whole'))).to.equal('whole');
    expect(await attempts(subject)).to.equal(0);
  });

  it('when the same string is fingerprinted, then case and spaces do not matter and the key changes nothing but the fingerprint', () => {
    expect(throttle.fingerprint(' Alice ')).to.equal(throttle.fingerprint('alice')).and.match(/^[0-9a-f]{64}$/);
    expect(throttle.loginSubject('alice')).to.equal(`login:${throttle.fingerprint('alice')}`);
  });
});

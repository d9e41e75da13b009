import { expect } from 'chai';
import { contractViolations, FakeRemnawave } from '../../fakes/remnawave';

/** The fake is only worth its checks if a request off the contract is really caught. */
describe('fake Remnawave panel checks requests against the contract', function () {
  this.timeout(10_000);
  let fake: FakeRemnawave;

  before(async () => {
    fake = await new FakeRemnawave().start();
  });
  afterEach(() => fake.forgetViolations());
  after(() => fake.stop());

  const headers = () => ({ authorization: `Bearer ${fake.token}`, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https', 'content-type': 'application/json' });

  it('when a create breaks the contract (username too short), then a violation is recorded and 400 answered', async () => {
    const response = await fetch(`${fake.url}/api/users`, { method: 'POST', headers: headers(), body: JSON.stringify({ username: 'x', expireAt: '2030-01-01T00:00:00Z' }) });
    expect(response.status).to.equal(400);
    expect(fake.violations).to.have.length(1);
    expect(contractViolations).to.include(fake.violations[0]);
  });

  it('when X-Forwarded-Proto is missing, then a violation is recorded', async () => {
    const { 'x-forwarded-proto': _dropped, ...rest } = headers();
    await fetch(`${fake.url}/api/users?start=0&size=10`, { headers: rest });
    expect(fake.violations.join('\n')).to.contain('X-Forwarded-Proto');
  });

  it('when an endpoint outside the contract subset is called, then a violation is recorded', async () => {
    await fetch(`${fake.url}/api/users/bulk/everything`, { method: 'POST', headers: headers(), body: '{}' });
    expect(fake.violations.join('\n')).to.contain('no such endpoint');
  });

  it('when something other than our client probes the port (a path outside /api), then it is not a violation', async () => {
    await fetch(`${fake.url}/health`);
    expect(fake.violations).to.deep.equal([]);
  });

  it('when violations are forgotten, then the suite-wide list no longer holds them', async () => {
    await fetch(`${fake.url}/api/nope`, { headers: headers() });
    const [mine] = fake.violations;
    fake.forgetViolations();
    expect(contractViolations).to.not.include(mine);
  });
});

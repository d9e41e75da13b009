import { expect } from 'chai';
import { CircuitState } from 'cockatiel';
import type { RemnawaveClient } from '../../../src/integrations/remnawave/remnawave.client';
import {
  ConflictError,
  NotFoundError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../../src/shared/errors';
import { FakeRemnawave } from '../../fakes/remnawave';
import { panelContainer, requestContext } from './panel-client';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('Remnawave client against the contract-checking fake panel', function () {
  this.timeout(20_000);
  let fake: FakeRemnawave;
  let container: ReturnType<typeof panelContainer>;
  let client: RemnawaveClient;

  before(async () => {
    fake = await new FakeRemnawave().start();
  });
  after(() => fake.stop());

  beforeEach(() => {
    fake.reset();
    container = panelContainer(fake.env(), { timeoutMs: 400 });
    client = container.cradle.remnawaveClient;
  });
  afterEach(() => container.dispose());

  const inRequest = <T>(fn: () => Promise<T>) => container.cradle.requestContextStore.run(requestContext(), fn);

  describe('envelope and headers', () => {
    it('when a user is read, then the `response` envelope is unwrapped and the user validated', async () => {
      const seeded = fake.seedUser({ username: 'alice', telegramId: 42 });
      const user = await client.getUser(seeded.id);
      expect(user).to.include({ id: seeded.id, username: 'alice', telegramId: 42, status: 'ACTIVE' });
      expect(user.userTraffic.usedTrafficBytes).to.equal(0);
    });

    it('when any call is made, then it carries the bearer token, X-Forwarded-For/Proto and our request id', async () => {
      const seeded = fake.seedUser();
      await inRequest(() => client.getUser(seeded.id));
      const [request] = fake.requests;
      expect(request?.headers.authorization).to.equal(`Bearer ${fake.token}`);
      expect(request?.headers['x-forwarded-for']).to.equal('203.0.113.7');
      expect(request?.headers['x-forwarded-proto']).to.equal('https');
      expect(request?.headers['x-request-id']).to.equal('req-panel-test-1');
    });

    it('when called outside a request (a worker), then X-Forwarded-For is still sent', async () => {
      const seeded = fake.seedUser();
      await client.getUser(seeded.id);
      expect(fake.requests[0]?.headers['x-forwarded-for']).to.equal('127.0.0.1');
      expect(fake.requests[0]?.headers['x-request-id']).to.equal(undefined);
    });

    it('when a user is created, updated, acted on and deleted, then each call is the contract one', async () => {
      const created = await client.createUser({ username: 'bob_1', expireAt: new Date(Date.now() + 86_400_000).toISOString(), email: 'bob@example.test' });
      expect(created.username).to.equal('bob_1');
      const updated = await client.updateUser(created.id, { description: 'vip', trafficLimitBytes: 1024 });
      expect(updated).to.include({ description: 'vip', trafficLimitBytes: 1024 });
      expect((await client.userAction(created.id, 'disable')).status).to.equal('DISABLED');
      expect((await client.userAction(created.id, 'enable')).status).to.equal('ACTIVE');
      const revoked = await client.userAction(created.id, 'revoke');
      expect(revoked.shortUuid).to.not.equal(created.shortUuid);
      await client.userAction(created.id, 'reset-traffic');
      await client.deleteUser(created.id);
      expect(fake.user(created.id)).to.equal(undefined);
      expect(fake.violations).to.deep.equal([]);
    });
  });

  describe('error mapping', () => {
    it('when the panel answers 404, then the error is our NotFoundError', async () => {
      const error = await rejection(client.getUser(999));
      expect(error).to.be.instanceOf(NotFoundError);
      expect(error.message).to.equal('VPN user not found');
    });

    it('when the username exists (400 A019), then the error is a ConflictError', async () => {
      fake.seedUser({ username: 'taken' });
      const error = await rejection(client.createUser({ username: 'taken', expireAt: new Date(Date.now() + 86_400_000).toISOString() }));
      expect(error).to.be.instanceOf(ConflictError);
    });

    it('when the panel refuses the values (400 validation), then the error is UpstreamRejectedError', async () => {
      fake.failNext('rejected');
      const error = await rejection(client.createUser({ username: 'carol', expireAt: new Date(Date.now() + 86_400_000).toISOString() }));
      expect(error).to.be.instanceOf(UpstreamRejectedError);
    });

    it('when the panel refuses our token, then it is an upstream failure, not the caller\'s', async () => {
      const wrong = panelContainer({ ...fake.env(), REMNAWAVE_TOKEN: 'wrong-token' });
      try {
        expect(await rejection(wrong.cradle.remnawaveClient.getUser(1))).to.be.instanceOf(UpstreamUnavailableError);
      } finally {
        await wrong.dispose();
      }
    });

    for (const mode of ['garbage', 'bad_shape', 'no_envelope', 'huge'] as const) {
      it(`when the panel answers ${mode}, then the error is UpstreamUnavailableError`, async () => {
        fake.failNext(mode);
        expect(await rejection(client.getUser(1))).to.be.instanceOf(UpstreamUnavailableError);
      });
    }

    it('when the panel does not answer within the timeout, then the error is UpstreamTimeoutError, not retried', async () => {
      fake.failNext('hang');
      expect(await rejection(client.getUser(1))).to.be.instanceOf(UpstreamTimeoutError);
      expect(fake.requests).to.have.length(1);
    });

    it('when nothing listens at the panel address, then the error is UpstreamUnavailableError', async () => {
      const dead = panelContainer({ REMNAWAVE_URL: 'http://127.0.0.1:9', REMNAWAVE_TOKEN: fake.token }, { resilience: { retries: 0 } });
      try {
        expect(await rejection(dead.cradle.remnawaveClient.getUser(1))).to.be.instanceOf(UpstreamUnavailableError);
      } finally {
        await dead.dispose();
      }
    });
  });

  describe('retries', () => {
    it('when a read meets 500 twice, then it is retried and succeeds on the third attempt', async () => {
      const seeded = fake.seedUser();
      fake.failNext('server_error', 2);
      expect((await client.getUser(seeded.id)).id).to.equal(seeded.id);
      expect(fake.count('GET', /^\/api\/users\/\d+$/)).to.equal(3);
    });

    it('when a read meets a reset connection, then it is retried', async () => {
      const seeded = fake.seedUser();
      fake.failNext('reset');
      expect((await client.getUser(seeded.id)).id).to.equal(seeded.id);
      expect(fake.requests).to.have.length(2);
    });

    it('when a read keeps failing, then it gives up after the configured retries', async () => {
      fake.failNext('server_error', 5);
      expect(await rejection(client.getUser(1))).to.be.instanceOf(UpstreamUnavailableError);
      expect(fake.requests).to.have.length(3);
    });

    it('when a create meets 500, then it is NOT retried (it might have been applied)', async () => {
      fake.failNext('server_error');
      const error = await rejection(client.createUser({ username: 'dave', expireAt: new Date(Date.now() + 86_400_000).toISOString() }));
      expect(error).to.be.instanceOf(UpstreamUnavailableError);
      expect(fake.count('POST', /^\/api\/users$/)).to.equal(1);
    });

    it('when reset-traffic or revoke meet 500, then they are not retried; enable and disable are', async () => {
      const seeded = fake.seedUser();
      for (const action of ['reset-traffic', 'revoke'] as const) {
        fake.failNext('server_error');
        await rejection(client.userAction(seeded.id, action));
      }
      fake.failNext('server_error');
      await client.userAction(seeded.id, 'disable');
      expect(fake.count('POST', /reset-traffic$/)).to.equal(1);
      expect(fake.count('POST', /revoke$/)).to.equal(1);
      expect(fake.count('POST', /disable$/)).to.equal(2);
    });

    it('when an error is the caller\'s (404), then it is not retried', async () => {
      await rejection(client.getUser(12345));
      expect(fake.requests).to.have.length(1);
    });
  });

  describe('circuit breaker', () => {
    it('when the panel keeps failing, then the breaker opens, fails fast without calling it, and a half-open probe closes it', async () => {
      const seeded = fake.seedUser();
      fake.failAlways('server_error');
      for (let i = 0; i < 3; i += 1) await rejection(client.getUser(seeded.id));
      expect(client.breakerState).to.equal(CircuitState.Open);

      const seen = fake.requests.length;
      const error = await rejection(client.getUser(seeded.id));
      expect(error).to.be.instanceOf(UpstreamUnavailableError);
      expect(fake.requests.length, 'an open breaker does not call the panel').to.equal(seen);

      fake.heal();
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await client.getUser(seeded.id)).id).to.equal(seeded.id);
      expect(client.breakerState).to.equal(CircuitState.Closed);
      const states = container.logs.entries.filter((e) => e.message === 'Remnawave circuit breaker state changed').map((e) => e.state);
      expect(states).to.deep.equal(['Open', 'HalfOpen', 'Closed']);
    });

    it('when the half-open probe fails, then the breaker opens again', async () => {
      fake.failAlways('server_error');
      for (let i = 0; i < 3; i += 1) await rejection(client.getUser(1));
      await new Promise((resolve) => setTimeout(resolve, 250));
      await rejection(client.getUser(1));
      expect(client.breakerState).to.equal(CircuitState.Open);
    });

    it('while the half-open probe waits on a hung panel, other calls fail at once instead of waiting with it', async () => {
      fake.failAlways('server_error');
      for (let i = 0; i < 3; i += 1) await rejection(client.getUser(1));
      await new Promise((resolve) => setTimeout(resolve, 250));
      fake.failAlways('hang');
      const probe = rejection(client.getUser(1));
      expect(client.breakerState).to.equal(CircuitState.HalfOpen);
      // cockatiel 3 makes every caller await the probe (up to OUTBOUND_TIMEOUT): ours must not.
      let settled = false;
      const other = rejection(client.getUser(1)).finally(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(settled, 'a call during half-open waited for the probe').to.equal(true);
      expect(await other).to.be.instanceOf(UpstreamUnavailableError);
      fake.heal();
      await probe;
    });

    it('when the caller is wrong (404, 409), then the breaker does not count it', async () => {
      for (let i = 0; i < 5; i += 1) await rejection(client.getUser(4040 + i));
      expect(client.breakerState).to.equal(CircuitState.Closed);
    });
  });

  describe('connection pool', () => {
    it('when 40 calls run at once, then at most poolSize sockets are opened and they are reused', async () => {
      // The timeout covers waiting for a socket too: give this slow, queued burst room.
      const patient = panelContainer(fake.env(), { timeoutMs: 10_000 });
      try {
        const seeded = fake.seedUser();
        fake.failNext({ slowMs: 10 }, 40);
        await Promise.all(Array.from({ length: 40 }, () => patient.cradle.remnawaveClient.getUser(seeded.id)));
        expect(fake.peakOpenSockets).to.be.within(1, 4);
        expect(fake.socketsOpened).to.be.within(1, 4);
        expect(fake.requests).to.have.length(40);
      } finally {
        await patient.dispose();
      }
    });
  });
});

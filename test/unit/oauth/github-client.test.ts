import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { loadConfig, type Config } from '../../../src/config';
import { GitHubClient } from '../../../src/integrations/github/github.client';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../../src/shared/errors';
import { testEnv } from '../../support/env';
import { FakeGitHub } from '../../fakes/github';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('oauth: GitHub client against the fake GitHub', () => {
  let github: FakeGitHub;
  let config: Config;
  let client: GitHubClient;
  const user = { id: 583231, login: 'octocat' };

  before(async () => {
    github = await new FakeGitHub().start();
    config = { ...loadConfig(testEnv(github.env())), outboundTimeoutMs: 300 };
    client = new GitHubClient({ config });
  });
  after(() => github.stop());
  beforeEach(() => github.reset());

  it('when the authorize URL is built, then it carries client_id, scope read:user and the state on the OAuth host', () => {
    const url = new URL(client.authorizeUrl('the-state'));
    expect(`${url.origin}${url.pathname}`).to.equal(`${github.oauthUrl}/login/oauth/authorize`);
    expect(url.searchParams.get('client_id')).to.equal('test-client-id');
    expect(url.searchParams.get('scope')).to.equal('read:user');
    expect(url.searchParams.get('state')).to.equal('the-state');
    expect(url.toString()).not.to.include('test-client-secret');
  });

  it('when a code the user approved is exchanged, then the token fetches the profile', async () => {
    const exchange = await client.exchangeCode(github.approve(user));
    expect(exchange.kind).to.equal('token');
    if (exchange.kind !== 'token') return;
    expect(exchange.scope).to.equal('read:user');
    expect(await client.fetchUser(exchange.accessToken)).to.deep.equal(user);

    const [tokenRequest, userRequest] = github.requests;
    expect(tokenRequest?.headers.accept).to.equal('application/json');
    expect(JSON.parse(tokenRequest?.body ?? '{}')).to.include({ client_id: 'test-client-id', client_secret: 'test-client-secret' });
    expect(userRequest?.host).to.equal('api');
    expect(userRequest?.headers.authorization).to.equal(`Bearer ${exchange.accessToken}`);
    expect(userRequest?.headers['user-agent']).to.be.a('string').and.not.empty;
  });

  it('when the code is wrong or already spent, then GitHub\'s HTTP 200 error is a rejection, not an upstream failure', async () => {
    expect(await client.exchangeCode('0123456789abcdef0123')).to.deep.equal({ kind: 'rejected', error: 'bad_verification_code' });
    const code = github.approve(user);
    await client.exchangeCode(code);
    expect(await client.exchangeCode(code)).to.deep.equal({ kind: 'rejected', error: 'bad_verification_code' });
  });

  it('when our client credentials are wrong, then it is an upstream failure (our configuration), not the user', async () => {
    const misconfigured = new GitHubClient({ config: { ...config, github: { ...config.github, clientSecret: 'wrong' } } });
    const error = await rejection(misconfigured.exchangeCode(github.approve(user)));
    expect(error).to.be.instanceOf(UpstreamUnavailableError);
    expect((error as Error).message).to.include('incorrect_client_credentials');
  });

  for (const mode of ['server_error', 'malformed_json', 'reset'] as const) {
    it(`when the token endpoint fails (${mode}), then it is UpstreamUnavailableError`, async () => {
      github.failNext('oauth', mode);
      expect(await rejection(client.exchangeCode(github.approve(user)))).to.be.instanceOf(UpstreamUnavailableError);
    });
  }

  it('when the token endpoint does not answer within the timeout, then it is UpstreamTimeoutError', async () => {
    github.failNext('oauth', 'hang');
    const started = Date.now();
    expect(await rejection(client.exchangeCode(github.approve(user)))).to.be.instanceOf(UpstreamTimeoutError);
    expect(Date.now() - started).to.be.lessThan(2000);
  });

  it('when GitHub is not reachable at all, then it is UpstreamUnavailableError', async () => {
    const port = await closedPort();
    const down = new GitHubClient({ config: { ...config, github: { ...config.github, oauthUrl: `http://127.0.0.1:${port}` } } });
    expect(await rejection(down.exchangeCode('abc'))).to.be.instanceOf(UpstreamUnavailableError);
  });

  it('when the profile fetch is refused (401 Bad credentials), fails or answers another shape, then it is UpstreamUnavailableError', async () => {
    expect(await rejection(client.fetchUser('gho_not_a_token'))).to.be.instanceOf(UpstreamUnavailableError);
    const exchange = await client.exchangeCode(github.approve(user));
    if (exchange.kind !== 'token') throw new Error('no token');
    github.failNext('api', 'bad_user_shape');
    expect(await rejection(client.fetchUser(exchange.accessToken))).to.be.instanceOf(UpstreamUnavailableError);
    github.failNext('api', 'server_error');
    expect(await rejection(client.fetchUser(exchange.accessToken))).to.be.instanceOf(UpstreamUnavailableError);
    github.failNext('api', 'hang');
    expect(await rejection(client.fetchUser(exchange.accessToken))).to.be.instanceOf(UpstreamTimeoutError);
  });
});

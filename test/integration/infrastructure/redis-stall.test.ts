import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/test-app';

/** A TCP relay to the real Redis that can stop forwarding: a Redis that is connected but silent. */
class FreezableRelay {
  frozen = false;
  private readonly server = net.createServer((client) => {
    const upstream = net.connect(6379, '127.0.0.1');
    client.on('data', (chunk) => {
      if (!this.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.frozen) client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('Redis that stops answering', () => {
  let relay: FreezableRelay;
  let t: TestApp;

  before(async () => {
    relay = new FreezableRelay();
    const port = await relay.listen();
    t = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
  });
  after(async () => {
    relay.frozen = false;
    await t.close();
    await relay.close();
  });

  it('when Redis accepts but never answers, then a route that needs it answers 503 promptly instead of hanging', async () => {
    expect((await t.http.get('/ready')).status, 'ready through the relay').to.equal(200);
    relay.frozen = true;
    const response = await t.http.post('/api/v1/auth/login').timeout(5000).send({ login_or_email: 'someone', password: 'whatever-1' });
    expect(response.status).to.equal(503);
    expect(response.body).to.deep.equal({ detail: 'Service temporarily unavailable' });
    expect(Number(response.headers['retry-after'])).to.be.greaterThan(0);
  });
});

import { expect } from 'chai';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../src/config';
import { buildContainer } from '../../../src/container';
import { liveEventsChannel } from '../../../src/modules/live/live-events';
import { sha256Hex } from '../../../src/shared/secrets';
import { waitUntilReady } from '../../../src/infrastructure/redis/wait-until-ready';
import { signIn } from '../../support/auth-helpers';
import { testEnv } from '../../support/env';
import { createAdmin, DEFAULT_PASSWORD } from '../../support/fixtures';
import { eventually } from '../../support/webhooks';
import { apiKeyOf, connect, refusal, startLiveApp, ticketFor, type LiveApp, type LiveClientHandle } from './live-support';

describe('live monitoring WebSocket: tickets, upgrade checks, topics, back-pressure, revocation', function () {
  this.timeout(60_000);
  let live: LiveApp;
  let publisher: Redis;
  const clients: LiveClientHandle[] = [];

  before(async () => {
    live = await startLiveApp({ WS_MAX_CONNECTIONS_PER_ADMIN: '2', WS_MAX_BUFFERED_BYTES: '65536' });
    publisher = new Redis(String(testEnv().REDIS_URL));
  });
  beforeEach(() => live.t.reset());
  afterEach(() => {
    for (const client of clients.splice(0)) client.ws.terminate();
  });
  after(async () => {
    publisher.disconnect();
    await live.close();
  });

  const channel = () => liveEventsChannel(live.t.container.cradle.config);
  /** Publishes as another process would: its own connection, the channel's JSON. */
  const publish = (topic: string, data: Record<string, unknown>) => publisher.publish(channel(), JSON.stringify({ topic, data: { event: 'test', ...data } }));
  async function signedIn(role: Parameters<typeof createAdmin>[1] extends infer O ? (O extends { role?: infer R } ? R : never) : never = 'admin') {
    const admin = await createAdmin(live.t.container, { role });
    return { admin, auth: (await signIn(live.t, admin.login, DEFAULT_PASSWORD)).bearer };
  }
  async function open(auth: Record<string, string>, options = {}) {
    const client = await connect(live.port, await ticketFor(live.t, auth), options);
    clients.push(client);
    return client;
  }

  it('when a signed-in admin asks for a ticket, then it gets a random one valid 30 s, kept in Redis only as a hash', async () => {
    const { auth } = await signedIn();
    const res = await live.t.http.post('/api/v1/ws/ticket').set(auth);
    expect(res.status).to.equal(200);
    expect(res.body.expires_in).to.equal(30);
    expect(res.body.ticket).to.match(/^[A-Za-z0-9_-]{43}$/);
    const key = `${live.t.container.cradle.config.redis.keyPrefix}{ws-ticket}:${sha256Hex(res.body.ticket as string)}`;
    const ttl = await live.t.container.cradle.redis.ttl(key);
    expect(ttl).to.be.within(1, 30);
    expect((await live.t.http.post('/api/v1/ws/ticket').set(auth)).body.ticket).to.not.equal(res.body.ticket);
  });

  it('when the ticket route is called without credentials, then 401 in the JSON error shape', async () => {
    const res = await live.t.http.post('/api/v1/ws/ticket');
    expect(res.status).to.equal(401);
    expect(res.body).to.deep.equal({ detail: 'Invalid or expired token' });
  });

  it('when a ticket is used twice, then the second upgrade is refused with 401 before any WebSocket exists', async () => {
    const { auth } = await signedIn();
    const ticket = await ticketFor(live.t, auth);
    clients.push(await connect(live.port, ticket));
    const second = await refusal(connect(live.port, ticket));
    expect(second).to.deep.equal({ status: 401, body: { detail: 'Invalid or expired token' } });
  });

  it('when the ticket expired or is made up, then the upgrade is refused with 401', async () => {
    const { auth } = await signedIn();
    const ticket = await ticketFor(live.t, auth);
    const { redis, config } = live.t.container.cradle;
    await redis.pexpire(`${config.redis.keyPrefix}{ws-ticket}:${sha256Hex(ticket)}`, 1);
    await eventually(() => redis.exists(`${config.redis.keyPrefix}{ws-ticket}:${sha256Hex(ticket)}`), (n) => n === 0, { what: 'the ticket to expire' });
    expect((await refusal(connect(live.port, ticket))).status).to.equal(401);
    expect((await refusal(connect(live.port, 'x'.repeat(43)))).status).to.equal(401);
    expect((await refusal(connect(live.port, ''))).status).to.equal(401);
  });

  it('when a browser page of another origin upgrades, then 403; a listed origin and no Origin at all are let in', async () => {
    const { auth } = await signedIn();
    const refused = await refusal(connect(live.port, await ticketFor(live.t, auth), { origin: 'https://evil.example' }));
    expect(refused).to.deep.equal({ status: 403, body: { detail: 'Cross-site request refused' } });
    clients.push(await connect(live.port, await ticketFor(live.t, auth), { origin: 'http://admin.test' }));
    clients.push(await connect(live.port, await ticketFor(live.t, auth)));
  });

  it('when the upgrade is for another path, then 404 in the JSON shape', async () => {
    const { auth } = await signedIn();
    const ticket = await ticketFor(live.t, auth);
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${live.port}/api/v1/ws/other?ticket=${ticket}`);
    const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).to.equal(404);
    // The ticket was not spent on the wrong path: it still opens the monitoring socket.
    clients.push(await connect(live.port, ticket));
  });

  it('when a viewer subscribes to servers, payments and a made-up topic, then it is told what it may have and gets only servers events', async () => {
    const { auth } = await signedIn('viewer');
    const client = await open(auth);
    const answer = await client.subscribe(['servers', 'payments', 'bogus']);
    expect(answer).to.deep.equal({
      type: 'available_topics',
      topics: ['servers', 'users', 'system', 'general'],
      subscribed: ['servers'],
      refused: [
        { topic: 'payments', reason: 'forbidden' },
        { topic: 'bogus', reason: 'unknown' },
      ],
    });
    await publish('payments', { n: 1 });
    await publish('servers', { n: 2 });
    const event = await client.next((frame) => frame.type === 'event');
    expect(event).to.deep.include({ type: 'event', topic: 'servers' });
    expect(event.data).to.deep.include({ n: 2 });
    expect(client.frames.filter((frame) => frame.type === 'event')).to.have.length(1);
  });

  it('when another process publishes through its own LiveEvents, then a subscriber here receives it', async () => {
    const { auth } = await signedIn('operator');
    const client = await open(auth);
    await client.subscribe(['payments']);
    const other = buildContainer(loadConfig(testEnv()));
    await waitUntilReady(other.cradle.redis, 3000);
    try {
      await other.cradle.liveEvents.publish('payments', 'payment.completed', { payment_id: 'p-1' });
    } finally {
      await other.dispose();
    }
    const event = await client.next((frame) => frame.type === 'event');
    expect(event.topic).to.equal('payments');
    expect(event.data).to.deep.include({ event: 'payment.completed', payment_id: 'p-1' });
    expect(Date.parse((event.data as { occurred_at: string }).occurred_at)).to.be.a('number').and.not.NaN;
  });

  it('when an API key asks for a ticket, then its socket gets the topics of its role', async () => {
    const key = await apiKeyOf(live.t, 'support');
    const client = await open(key.bearer);
    expect((await client.subscribe(['users', 'payments'])).subscribed).to.deep.equal(['users']);
  });

  it('when a client sends malformed frames, then each is answered with an error and the third closes the socket (1008)', async () => {
    const { auth } = await signedIn();
    const client = await open(auth);
    client.ws.send('not json');
    client.ws.send(JSON.stringify({ type: 'subscribe', topics: 'servers' }));
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const { code } = await client.closed;
    expect(code).to.equal(1008);
    expect(client.frames.filter((frame) => frame.type === 'error')).to.have.length(3);
  });

  it('when a client stops reading, then it is dropped with 1013 once its backlog passes the bound, not buffered further', async () => {
    const { auth } = await signedIn();
    const client = await open(auth);
    await client.subscribe(['general']);
    (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const big = 'x'.repeat(32 * 1024);
    let sent = 0;
    const dropped = () => live.t.logs.entries.some((entry) => entry.message === 'slow websocket client dropped');
    while (!dropped()) {
      if (sent > 4000) throw new Error('the slow client was never dropped');
      await publish('general', { sent, big });
      sent += 1;
      if (sent % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const entry = live.t.logs.entries.find((e) => e.message === 'slow websocket client dropped')!;
    expect(entry.buffered_bytes as number).to.be.greaterThan(65536);
    (client.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await client.closed).code).to.equal(1013);
  });

  it('when the admin is deactivated, then the socket is closed with 4001 within seconds', async () => {
    const { admin, auth } = await signedIn();
    const client = await open(auth);
    await live.t.container.cradle.db('admin_users').where({ id: admin.id }).update({ is_active: false });
    expect((await client.closed).code).to.equal(4001);
  });

  it('when the session is revoked, then its socket is closed with 4001 and another session of the admin stays', async () => {
    const admin = await createAdmin(live.t.container);
    const first = await signIn(live.t, admin.login, DEFAULT_PASSWORD);
    const second = (await signIn(live.t, admin.login, DEFAULT_PASSWORD)).bearer;
    const revoked = await open(first.bearer);
    const kept = await open(second);
    const { sessionId } = live.t.container.cradle.tokenService.verifyAccessToken(first.access_token);
    expect(await live.t.container.cradle.db('refresh_tokens').where({ family_id: sessionId }).update({ revoked_at: new Date() })).to.be.greaterThan(0);
    expect((await revoked.closed).code).to.equal(4001);
    await kept.subscribe(['general']);
    expect(kept.ws.readyState).to.equal(kept.ws.OPEN);
  });

  it('when the API key is revoked, then its socket is closed with 4001', async () => {
    const key = await apiKeyOf(live.t, 'viewer');
    const client = await open(key.bearer);
    await live.t.container.cradle.db('api_keys').where({ id: key.id }).update({ revoked_at: new Date() });
    expect((await client.closed).code).to.equal(4001);
  });

  it("when the admin's role loses a permission, then its topic stops and the socket stays", async () => {
    const { admin, auth } = await signedIn('operator');
    const client = await open(auth);
    await client.subscribe(['payments', 'servers']);
    await live.t.container.cradle.db('admin_users').where({ id: admin.id }).update({ role: 'viewer' });
    // The next round of re-checks applies the new role; then payments stop and servers continue.
    await eventually(
      async () => {
        await publish('payments', { probe: true });
        await publish('servers', { probe: true });
        await new Promise((resolve) => setTimeout(resolve, 200));
        return client.frames.filter((frame) => frame.type === 'event').slice(-2).map((frame) => frame.topic);
      },
      (topics) => topics.length === 2 && topics.every((topic) => topic === 'servers'),
      { what: 'payments to stop' },
    );
    expect(client.ws.readyState).to.equal(client.ws.OPEN);
  });

  it('when a session opens more sockets than WS_MAX_CONNECTIONS_PER_ADMIN, then the next upgrade is refused with 429', async () => {
    const { auth } = await signedIn();
    await open(auth);
    await open(auth);
    const refused = await refusal(connect(live.port, await ticketFor(live.t, auth)));
    expect(refused).to.deep.equal({ status: 429, body: { detail: 'Too many requests' } });
  });

  it('when a peer stops answering pings, then it is terminated', async () => {
    const { auth } = await signedIn();
    const client = await open(auth, { autoPong: false });
    expect((await client.closed).code).to.equal(1006);
    await eventually(async () => live.gateway.connectionCount, (count) => count === 0, { what: 'the gateway to forget it' });
  });

  it('when GET /asyncapi.json is asked, then it describes the socket messages and close codes', async () => {
    const res = await live.t.http.get('/asyncapi.json');
    expect(res.status).to.equal(200);
    expect(res.body.asyncapi).to.equal('3.0.0');
    expect(Object.keys(res.body.channels.monitoring.messages)).to.have.members(['subscribe', 'availableTopics', 'event', 'error']);
    expect(res.body.info.description).to.include('1013');
  });
});

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppContainer } from '../../container';
import { connectRedis, type RedisClient } from '../../infrastructure/redis/redis';
import { CsrfRejectedError, InvalidTokenError, RateLimitedError, RouteNotFoundError, ServiceUnavailableError } from '../../shared/errors';
import type { Role } from '../../shared/permissions';
import { CLOSE_CODES, LiveClient } from './live-client';
import { liveEventsChannel, type LiveEventMessage } from './live-events';
import { isLiveTopic } from './live-topics';
import { refKey, type LivePrincipalRef } from './ws-tickets';
import { refuseUpgrade } from './upgrade-refusal';

export const MONITORING_PATH = '/api/v1/ws/monitoring';
/** Client frames are a subscribe message: anything bigger is not one. */
const MAX_CLIENT_FRAME_BYTES = 4096;
/** How long shutdown waits for clients to answer the 1001 close before cutting them off. */
const CLOSE_GRACE_MS = 2000;

/**
 * The monitoring WebSocket on the API's own HTTP server (`ws` in noServer mode on 'upgrade'):
 * the upgrade is refused in our JSON error shape unless the Origin is allowed, the ticket is live
 * and the principal is under its connection bound. Events arrive on one Redis channel, whichever
 * process published them, and are fanned out to the sockets of this process subscribed to the
 * topic. Connections are counted per process: a bound shared in Redis would need leases that a
 * killed process leaves behind, and with N API processes an admin gets at most N times the bound.
 */
export class LiveGateway {
  private readonly container: AppContainer;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  private readonly clients = new Set<LiveClient>();
  private readonly timers: NodeJS.Timeout[] = [];
  private subscriber: RedisClient | undefined;
  private rechecking = false;
  private closing: Promise<void> | undefined;
  /** Resolves once this process listens on the events channel. */
  ready: Promise<void> = Promise.resolve();

  constructor(container: AppContainer) {
    this.container = container;
  }

  get connectionCount(): number {
    return this.clients.size;
  }

  attach(server: http.Server): void {
    const { config } = this.container.cradle;
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    this.ready = this.listen();
    this.timers.push(
      setInterval(() => this.ping(), config.live.pingIntervalMs),
      setInterval(() => void this.recheck(), config.live.principalRecheckIntervalMs),
    );
  }

  /** SIGTERM: every client is told 1001 (going away) and given a moment to close; then cut off. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      for (const client of this.clients) client.close(CLOSE_CODES.goingAway, 'Server shutting down');
      const deadline = Date.now() + CLOSE_GRACE_MS;
      while (this.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const client of this.clients) client.socket.terminate();
      // A subscriber has nothing to flush; and quit() would wait for ever for a Redis that is away.
      this.subscriber?.disconnect();
    })();
    return this.closing;
  }

  private async listen(): Promise<void> {
    const { config, logger } = this.container.cradle;
    const subscriber = connectRedis(config, { maxRetriesPerRequest: null, retryStrategy: (attempt) => Math.min(attempt * 200, 2000) });
    subscriber.on('error', (error: Error) => logger.debug('live events subscriber error', { error: error.message }));
    subscriber.on('message', (_channel: string, message: string) => this.fanOut(message));
    this.subscriber = subscriber;
    // ioredis subscribes again by itself after a reconnect.
    await subscriber.subscribe(liveEventsChannel(config)).catch((error: unknown) => logger.error('live events channel not subscribed', { error }));
  }

  private fanOut(raw: string): void {
    let message: LiveEventMessage;
    try {
      message = JSON.parse(raw) as LiveEventMessage;
    } catch {
      return;
    }
    if (!isLiveTopic(message.topic)) return;
    // Serialised once, whatever the number of subscribers.
    const frame = JSON.stringify({ type: 'event', topic: message.topic, data: message.data });
    for (const client of this.clients) client.deliver(message.topic, frame);
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { logger } = this.container.cradle;
    socket.on('error', () => socket.destroy());
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== MONITORING_PATH) throw new RouteNotFoundError('No WebSocket route');
      if (this.closing) throw new ServiceUnavailableError('live monitoring');
      this.assertOriginAllowed(req.headers.origin);
      const ref = await this.container.cradle.wsTicketStore.redeem(url.searchParams.get('ticket') ?? '');
      if (!ref) throw new InvalidTokenError('ticket unknown, spent or expired');
      const role = await this.currentRole(ref);
      if (!role) throw new InvalidTokenError('session ended or access revoked');
      const key = refKey(ref);
      let open = 0;
      for (const client of this.clients) if (client.key === key) open += 1;
      if (open >= this.container.cradle.config.live.maxConnectionsPerPrincipal) throw new RateLimitedError(5);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, ref, key, role));
    } catch (error) {
      const status = refuseUpgrade(socket, error);
      logger.info('websocket upgrade refused', { status, path: req.url?.split('?')[0], origin: req.headers.origin, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /**
   * A browser always sends Origin: a cross-site page's upgrade is refused unless CORS_ORIGINS
   * lists it (`*`, outside production, allows any). No Origin is a server-side client, which holds
   * a ticket only if it held credentials.
   */
  private assertOriginAllowed(origin: string | undefined): void {
    if (origin === undefined) return;
    const allowed = this.container.cradle.config.http.corsOrigins;
    if (!allowed.includes(origin) && !allowed.includes('*')) throw new CsrfRejectedError('websocket origin not allowed');
  }

  private accept(ws: WebSocket, ref: LivePrincipalRef, key: string, role: Role): void {
    const { config, logger } = this.container.cradle;
    const client = new LiveClient(ws, ref, key, role, config.live.maxBufferedBytes, (slow) =>
      logger.warn('slow websocket client dropped', { principal: slow.key, buffered_bytes: slow.socket.bufferedAmount }),
    );
    this.clients.add(client);
    ws.on('message', (data, isBinary) => client.handleFrame(data, isBinary));
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', (error: Error) => logger.debug('websocket error', { principal: key, error: error.message }));
    ws.on('close', () => this.clients.delete(client));
    logger.debug('websocket opened', { principal: key });
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }

  /** Each distinct principal is checked once per round, however many sockets it has open. */
  private async recheck(): Promise<void> {
    if (this.rechecking || this.clients.size === 0) return;
    this.rechecking = true;
    const { logger } = this.container.cradle;
    const byPrincipal = new Map<string, LiveClient[]>();
    for (const client of this.clients) {
      const group = byPrincipal.get(client.key);
      if (group) group.push(client);
      else byPrincipal.set(client.key, [client]);
    }
    // One scope for the round, as one request would have.
    const scope = this.container.createScope() as AppContainer;
    try {
      for (const group of byPrincipal.values()) {
        let role: Role | undefined;
        try {
          role = await scope.cradle.livePrincipalCheck.currentRole(group[0]!.ref);
        } catch (error) {
          // The database away is no proof of revocation: keep the sockets, check again next round.
          logger.warn('live principal re-check failed', { principal: group[0]!.key, error });
          continue;
        }
        for (const client of group) {
          if (role) client.changeRole(role);
          else client.close(CLOSE_CODES.accessRevoked, 'Session ended or access revoked');
        }
        if (!role) logger.info('websocket closed: access revoked', { principal: group[0]!.key, sockets: group.length });
      }
    } finally {
      this.rechecking = false;
      await scope.dispose();
    }
  }

  private async currentRole(ref: LivePrincipalRef): Promise<Role | undefined> {
    const scope = this.container.createScope() as AppContainer;
    try {
      return await scope.cradle.livePrincipalCheck.currentRole(ref);
    } finally {
      await scope.dispose();
    }
  }
}

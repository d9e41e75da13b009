import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Knex } from 'knex';
import { createApp } from './app';
import { buildContainer, type AppContainer } from './container';
import { loadConfigOrExit, type Config } from './config';
import { createAppServer } from './http/app-server';
import { answerClientError, MAX_HEADER_BYTES, MAX_HEADERS_COUNT } from './http/input-limits';
import { waitUntilReady } from './infrastructure/redis/wait-until-ready';
import { LiveGateway } from './modules/live/live-gateway';

/** The API process: listens, and on SIGTERM/SIGINT drains in-flight requests before exiting. */
export interface RunningServer {
  readonly container: AppContainer;
  readonly server: http.Server;
  readonly port: number;
  /** The monitoring WebSocket served on this server's upgrades. */
  readonly liveGateway: LiveGateway;
  /** Stops accepting, lets in-flight requests finish (bounded by SHUTDOWN_TIMEOUT), closes pools. */
  stop(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const container = buildContainer(config);
  const { logger, redis } = container.cradle;
  if (!(await waitUntilReady(redis, 3000))) logger.warn('redis not reachable at start-up; serving as not ready');
  // Before the first request: otherwise the first unknown login would also pay for making the dummy hash.
  await container.cradle.passwordHasher.prepare();
  // The request line counts towards maxHeaderSize: this bounds the URL as well as the headers.
  const server = createAppServer(createApp(container), { maxHeaderSize: MAX_HEADER_BYTES });
  // Slow clients cannot hold sockets for ever; keep-alive stays shorter than typical proxies' own.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = MAX_HEADERS_COUNT;
  answerClientError(server, logger);
  const liveGateway = new LiveGateway(container);
  liveGateway.attach(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info('api listening', { port, env: config.env });

  // Responses written while draining say `Connection: close`: a keep-alive client must not reuse a
  // connection that is going away, and the drain must not wait out keepAliveTimeout for it.
  let draining = false;
  const inFlight = new Set<http.ServerResponse>();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: draining in-flight requests');
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const deadlineAt = Date.now() + config.http.shutdownTimeoutMs;
      // Upgraded sockets are no longer HTTP requests: server.close() would wait on them for ever.
      await liveGateway.close();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn('shutdown deadline reached: closing remaining connections');
          server.closeAllConnections();
          resolve();
        }, config.http.shutdownTimeoutMs);
      });
      await Promise.race([drained, deadline]);
      clearTimeout(timer);
      await waitForIdleDatabase(container.cradle.db, deadlineAt);
      logger.info('http server closed; closing pools');
      await container.dispose();
    })();
    return stopping;
  };
  return { container, server, port, liveGateway, stop };
}

/**
 * A handler whose client hung up is still running after its socket closed: the server counts it
 * as drained, but destroying the pool under it would turn its last queries into errors.
 */
async function waitForIdleDatabase(db: Knex, until: number): Promise<void> {
  const pool = (db.client as { pool?: { numUsed(): number; numPendingAcquires(): number } }).pool;
  while (pool && (pool.numUsed() > 0 || pool.numPendingAcquires() > 0) && Date.now() < until) {
    await delay(20);
  }
}

async function main(): Promise<void> {
  const running = await startServer(loadConfigOrExit());
  const onSignal = (signal: NodeJS.Signals) => {
    running.container.cradle.logger.info('signal received', { signal });
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`API failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildContainer, type AppContainer } from './container';
import { loadConfigOrExit, type Config } from './config';
import { WorkerRuntime, type QueueWorkerDefinition } from './infrastructure/queues/worker-runtime';

/**
 * A worker OS process (workers/*.ts): the same container as the API, the queues' consumers, and
 * for a supervisor an HTTP server on WORKER_HEALTH_PORT (0: none): `GET /health` answers while the
 * process's event loop runs; `GET /ready` is 200 while its workers take jobs and PostgreSQL and
 * Redis answer, 503 otherwise (and from the moment it begins shutting down).
 * SIGTERM/SIGINT: stop taking jobs, finish the running ones, close, exit 0.
 */
export interface RunningWorker {
  readonly container: AppContainer;
  readonly runtime: WorkerRuntime;
  /** The health server's port, when there is one. */
  readonly healthPort: number | undefined;
  stop(): Promise<void>;
}

function healthServer(runtime: WorkerRuntime, container: AppContainer): http.Server {
  return http.createServer((req, res) => {
    const answer = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') return answer(200, { status: 'ok' });
    if (req.method !== 'GET' || req.url !== '/ready') return answer(404, { detail: 'Not found' });
    container.cradle.readinessProbe.check().then(
      (report) => {
        const ready = report.ready && runtime.running;
        answer(ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', workers: runtime.running ? 'running' : 'stopped', components: report.components });
      },
      () => answer(503, { status: 'unavailable' }),
    );
  });
}

export async function startWorker(name: string, config: Config, definitionsFor: (config: Config) => readonly QueueWorkerDefinition[]): Promise<RunningWorker> {
  const container = buildContainer(config);
  const { logger } = container.cradle;
  const runtime = new WorkerRuntime(container, definitionsFor(config));

  let server: http.Server | undefined;
  if (config.workers.healthPort > 0) {
    server = healthServer(runtime, container);
    try {
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.workers.healthPort, () => resolve());
      });
    } catch (error) {
      await container.dispose().catch(() => undefined);
      throw error;
    }
  }
  // Jobs are taken only once a supervisor can see the process: a worker whose health port is taken
  // (a second one on the host with the same WORKER_HEALTH_PORT) exits before taking any.
  runtime.start();
  const healthPort = server ? (server.address() as AddressInfo).port : undefined;
  logger.info('worker started', { worker: name, pid: process.pid, health_port: healthPort ?? null });

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('worker shutting down: finishing running jobs', { worker: name });
      await runtime.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      logger.info('worker stopped', { worker: name });
      await container.dispose();
    })();
    return stopping;
  };
  return { container, runtime, healthPort, stop };
}

/** The body of a workers/*.ts entry point. */
export function runWorkerProcess(name: string, definitionsFor: (config: Config) => readonly QueueWorkerDefinition[]): void {
  startWorker(name, loadConfigOrExit(), definitionsFor).then(
    (running) => {
      const onSignal = (signal: NodeJS.Signals) => {
        running.container.cradle.logger.info('signal received', { signal });
        running.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
    (error: unknown) => {
      process.stderr.write(`${name} worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

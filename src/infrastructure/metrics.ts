import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueMonitor, QueueStats } from './queues/queue-monitor';

/** Prometheus metrics of one process: its own registry, so tests and processes never share state. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Calls to an outside service refused at once (our 502) because its circuit breaker was open. */
  readonly upstreamCircuitOpen: Counter<'service'>;
  /** Webhook deliveries refused for their signature (each also a bounded webhook_logs row). */
  readonly webhooksInvalidSignature: Counter<'source'>;
  /** Valid webhooks whose effect failed past the last attempt (row `failed`, admins told). */
  readonly webhooksFailed: Counter<'source'>;
  /** Payments received but not provisioned: the loudest number an operator watches. */
  readonly paymentsUnprovisioned: Counter;

  /**
   * `queueMonitor` is read only when /metrics is scraped: the queue gauges are collected then,
   * from Redis, so they are as fresh as the scrape (and nothing polls Redis in between).
   */
  constructor({ queueMonitor }: { queueMonitor?: QueueMonitor } = {}) {
    // Process metrics include event-loop lag (nodejs_eventloop_lag_*), CPU, memory and handles.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
    this.httpRequestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.upstreamCircuitOpen = new Counter({
      name: 'upstream_circuit_open_total',
      help: 'Calls to an outside service refused at once (502) while its circuit breaker was open',
      labelNames: ['service'],
      registers: [this.registry],
    });
    this.webhooksInvalidSignature = new Counter({
      name: 'webhooks_invalid_signature_total',
      help: 'Webhook deliveries refused (401) for a missing or wrong signature',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.webhooksFailed = new Counter({
      name: 'webhooks_failed_total',
      help: 'Valid webhooks whose processing failed past the last attempt',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.paymentsUnprovisioned = new Counter({
      name: 'payments_unprovisioned_total',
      help: 'Payments received whose subscription extension failed for good (status failed, retry from the API)',
      registers: [this.registry],
    });
    if (queueMonitor !== undefined) this.registerQueueGauges(() => queueMonitor.snapshot());
  }

  private registerQueueGauges(snapshot: () => Promise<Record<string, QueueStats>>): void {
    const gauges = {
      waiting: 'Jobs ready to run, not yet taken by a worker',
      active: 'Jobs being run by a worker',
      failed: 'Jobs that failed their last attempt (kept for inspection)',
      delayed: 'Jobs waiting for their time (scheduled, or a retry backing off)',
      oldest_waiting_age_seconds: 'Age of the oldest job ready to run; growing means no worker takes jobs',
    } as const;
    // One scrape reads Redis once: the first gauge collected fetches, the others reuse it.
    let pending: Promise<Record<string, QueueStats> | null> | undefined;
    const current = () => {
      pending ??= snapshot()
        .catch(() => null)
        .finally(() => setImmediate(() => (pending = undefined)));
      return pending;
    };
    for (const [field, help] of Object.entries(gauges) as [keyof typeof gauges, string][]) {
      new Gauge({
        name: field === 'oldest_waiting_age_seconds' ? 'queue_oldest_waiting_age_seconds' : `queue_jobs_${field}`,
        help,
        labelNames: ['queue'],
        registers: [this.registry],
        async collect() {
          const stats = await current();
          this.reset();
          // Redis unreachable: no samples (an absent series), rather than a misleading zero.
          for (const [queue, values] of Object.entries(stats ?? {})) this.set({ queue }, values[field]);
        },
      });
    }
  }
}

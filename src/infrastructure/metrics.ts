import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one process: its own registry, so tests and processes never share state. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Calls to an outside service refused at once (our 502) because its circuit breaker was open. */
  readonly upstreamCircuitOpen: Counter<'service'>;

  constructor() {
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
  }
}

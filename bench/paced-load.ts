import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { percentile } from './support';

/**
 * Open-loop load at a fixed rate: one request every 1000 / rate ms, on a schedule that does not
 * wait for answers, over a keep-alive agent of up to `sockets` connections.
 *
 * autocannon cannot do this. Its `overallRate` gives each connection a quota per second, which the
 * connection spends back to back from the start of the second and then idles
 * (node_modules/autocannon/lib/httpClient.js, `reqsMadeThisSecond`): "100 req/s over 10
 * connections" is 10 connections flat out for the first part of every second, and its latencies
 * are those of a queue 10 deep. Here arrivals are evenly spaced, as independent callers' are on
 * average, so a latency is that of one request arriving at that rate.
 *
 * Each latency runs from the request's scheduled time, not from when it was sent: if the driver
 * falls behind its schedule (its own event loop busy, every socket taken), that delay is counted
 * against the service instead of being left out (coordinated omission, measured the right way).
 */
export interface PacedLoadOptions {
  url: string;
  headers?: Record<string, string>;
  /** Requests per second. */
  rate: number;
  durationS: number;
  /** Upper bound on concurrent connections; a request waits for a free one (counted in its latency). */
  sockets?: number;
  timeoutMs?: number;
}

export interface PacedLoadResult {
  sent: number;
  statuses: Record<number, number>;
  errors: number;
  /** Milliseconds, scheduled time to the end of the response. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the driver sent requests, p99 (ms): if this is large, the driver measured itself. */
  sendLagP99: number;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.sockets ?? 50 });
  const intervalMs = 1000 / options.rate;
  const total = Math.round(options.rate * options.durationS);
  const latencies: number[] = [];
  const sendLags: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const pending: Promise<void>[] = [];
  const start = performance.now() + 10;

  const send = (scheduled: number) =>
    new Promise<void>((resolve) => {
      sendLags.push(performance.now() - scheduled);
      const request = http.get(options.url, { agent, headers: options.headers, timeout: options.timeoutMs ?? 30_000 }, (response) => {
        response.resume();
        response.once('end', () => {
          statuses[response.statusCode ?? 0] = (statuses[response.statusCode ?? 0] ?? 0) + 1;
          latencies.push(performance.now() - scheduled);
          resolve();
        });
      });
      request.once('timeout', () => request.destroy(new Error('timeout')));
      request.once('error', () => {
        errors += 1;
        resolve();
      });
    });

  for (let i = 0; i < total; i += 1) {
    const scheduled = start + i * intervalMs;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send(scheduled));
  }
  await Promise.all(pending);
  agent.destroy();

  const sorted = latencies.sort((a, b) => a - b);
  const lags = sendLags.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    sent: total,
    statuses,
    errors,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
    sendLagP99: round(percentile(lags, 99)),
  };
}

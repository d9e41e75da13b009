import type Joi from 'joi';
import { request, type Agent } from 'undici';
import { BrokenCircuitError, CircuitState, type CircuitBreakerPolicy, type RetryPolicy } from 'cockatiel';
import type { Config } from '../../config';
import { TransientUpstreamError, upstreamPolicies } from '../upstream-policies';
import type { Logger } from '../../infrastructure/logger';
import type { Metrics } from '../../infrastructure/metrics';
import { CircuitOpenError, ConflictError, NotFoundError, UpstreamRejectedError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../shared/errors';
import type { RequestContextStore } from '../../shared/request-context';
import { panelErrorCode } from './remnawave.replies';
import type { RemnawaveResilience } from './resilience';

/**
 * One round trip to the Remnawave panel, made safe: a bounded keep-alive socket pool (undici
 * Agent), the headers a production panel behind its reverse proxy needs, a timeout on every attempt,
 * retries with jittered exponential backoff for idempotent calls after fast failures only, and a
 * circuit breaker (cockatiel) so a dead panel fails in microseconds instead of OUTBOUND_TIMEOUT.
 *
 * Every failure leaves as one of our domain errors; the panel's host, token and messages go to the
 * log at most, never into an error a client could see.
 */
export const SERVICE = 'Remnawave';
const MAX_REPLY_BYTES = 4 * 1024 * 1024;
/** Remnawave's code for "username already exists" (HTTP 400). */
const DUPLICATE_USERNAME = 'A019';

export type PanelMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface PanelCall {
  readonly method: PanelMethod;
  /** Path under the panel root, as the contract names it: `/api/users/5`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number>>;
  readonly body?: unknown;
  /** Safe to send twice (reads, and writes that set absolute values): only these are retried. GET is. */
  readonly idempotent?: boolean;
  /** Human name of what a 404 is about ("VPN user"); also the name of a duplicate. */
  readonly entity: string;
  /** Schema of the `response` member of the envelope; none for answers without a body (204). */
  readonly reply?: Joi.Schema;
}


export class RemnawaveTransport {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retryPolicy: RetryPolicy;
  private readonly requestContextStore: RequestContextStore;
  private readonly logger: Logger;
  private readonly metrics: Metrics;

  constructor({
    config,
    remnawaveResilience,
    requestContextStore,
    logger,
    metrics,
  }: {
    config: Config;
    remnawaveResilience: RemnawaveResilience;
    requestContextStore: RequestContextStore;
    logger: Logger;
    metrics: Metrics;
  }) {
    this.metrics = metrics;
    this.baseUrl = config.remnawave.url.replace(/\/+$/, '');
    this.token = config.remnawave.token;
    this.timeoutMs = config.outboundTimeoutMs;
    this.requestContextStore = requestContextStore;
    this.logger = logger;
    ({ agent: this.agent, breaker: this.breaker, retryPolicy: this.retryPolicy } = upstreamPolicies(SERVICE, remnawaveResilience, this.timeoutMs, logger));
  }

  get breakerState(): CircuitState {
    return this.breaker.state;
  }

  /** The panel's `response` member, validated against `call.reply`; undefined for body-less answers. */
  async send<T>(call: PanelCall): Promise<T> {
    const idempotent = call.idempotent ?? call.method === 'GET';
    // While one probe tests a panel that failed, cockatiel 3 makes every other call await that
    // probe (up to OUTBOUND_TIMEOUT on a hung panel) and pile up behind it; they fail fast instead.
    if (this.breaker.state === CircuitState.HalfOpen) throw this.refusedByBreaker();
    try {
      return await this.breaker.execute(() => (idempotent ? this.retryPolicy.execute(() => this.attempt<T>(call)) : this.attempt<T>(call)));
    } catch (error) {
      // No cause: cockatiel's error says nothing the message does not.
      if (error instanceof BrokenCircuitError) throw this.refusedByBreaker();
      throw error;
    }
  }

  /** Counted here, for every caller (requests and workers alike); the state change itself is logged once. */
  private refusedByBreaker(): CircuitOpenError {
    this.metrics.upstreamCircuitOpen.inc({ service: SERVICE });
    return new CircuitOpenError(SERVICE);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private headers(): Record<string, string> {
    const context = this.requestContextStore.current();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: 'application/json',
      // A production panel sits behind a reverse proxy and drops requests that lack these.
      'x-forwarded-for': context?.ip || '127.0.0.1',
      'x-forwarded-proto': 'https',
    };
    if (context) headers['x-request-id'] = context.requestId;
    return headers;
  }

  private url(call: PanelCall): string {
    const url = new URL(`${this.baseUrl}${call.path}`);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, String(value));
    return url.toString();
  }

  /** One bounded attempt; every way it can fail becomes a domain error. */
  private async attempt<T>(call: PanelCall): Promise<T> {
    const headers = this.headers();
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await request(this.url(call), { method: call.method, headers, body, signal, dispatcher: this.agent });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(SERVICE, { cause: error });
      throw new TransientUpstreamError(SERVICE, `${call.method} ${call.path} failed`, { cause: error });
    }
    if (status >= 500) throw new TransientUpstreamError(SERVICE, `${call.method} ${call.path} answered HTTP ${status}`);
    if (Buffer.byteLength(text) > MAX_REPLY_BYTES) throw new UpstreamUnavailableError(SERVICE, 'reply too large');
    if (status >= 400) throw this.refusal(call, status, text);
    return this.unwrap<T>(call, status, text);
  }

  private refusal(call: PanelCall, status: number, text: string): Error {
    const code = panelErrorCode(parseOrUndefined(text));
    if (status === 404) return new NotFoundError(call.entity);
    if (status === 400 && code === DUPLICATE_USERNAME) return new ConflictError(call.entity);
    // 400 is the panel's validation (zod) or a rule of its own: what we sent, not an outage.
    if (status === 400 || status === 422) return new UpstreamRejectedError(SERVICE, `${call.method} ${call.path}: HTTP ${status} ${code ?? ''}`.trim());
    // 401/403 mean our token is wrong or lacks a scope: our configuration, the caller can do nothing.
    return new UpstreamUnavailableError(SERVICE, `${call.method} ${call.path} answered HTTP ${status}`);
  }

  private unwrap<T>(call: PanelCall, status: number, text: string): T {
    if (!call.reply) return undefined as T;
    const parsed = parseOrUndefined(text);
    if (!parsed || typeof parsed !== 'object' || !('response' in parsed)) {
      throw new UpstreamUnavailableError(SERVICE, `${call.method} ${call.path}: HTTP ${status} without a response envelope`);
    }
    const checked = call.reply.validate((parsed as { response: unknown }).response);
    if (checked.error) {
      throw new UpstreamUnavailableError(SERVICE, `${call.method} ${call.path}: unexpected reply (${checked.error.message.slice(0, 200)})`);
    }
    return checked.value as T;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

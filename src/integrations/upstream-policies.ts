import { Agent } from 'undici';
import { circuitBreaker, CircuitState, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry, type CircuitBreakerPolicy, type RetryPolicy } from 'cockatiel';
import type { Logger } from '../infrastructure/logger';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../shared/errors';
import type { RemnawaveResilience } from './remnawave/resilience';

/** A failure a second attempt may not meet: 5xx, refused or reset connections. */
export class TransientUpstreamError extends UpstreamUnavailableError {}

const isUpstreamFailure = (error: Error) => error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError;

/** What every client of an outside service holds, one per process: its socket pool, breaker and retry policy. */
export interface UpstreamPolicies {
  readonly agent: Agent;
  readonly breaker: CircuitBreakerPolicy;
  readonly retryPolicy: RetryPolicy;
}

/**
 * The one recipe for reaching an outside service: a bounded keep-alive pool, a breaker that opens
 * after `breakerThreshold` consecutive upstream failures (its state changes are the one warn line),
 * and retries with exponential backoff of fast failures only: a timeout is not retried, since a
 * second wait of OUTBOUND_TIMEOUT would only double the damage.
 */
export function upstreamPolicies(service: string, resilience: RemnawaveResilience, timeoutMs: number, logger: Logger): UpstreamPolicies {
  const agent = new Agent({
    connections: resilience.poolSize,
    keepAliveTimeout: resilience.keepAliveMs,
    keepAliveMaxTimeout: resilience.keepAliveMs,
    connect: { timeout: timeoutMs },
  });
  const breaker = circuitBreaker(handleWhen(isUpstreamFailure), {
    halfOpenAfter: resilience.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(resilience.breakerThreshold),
  });
  breaker.onStateChange((state) => logger.warn(`${service} circuit breaker state changed`, { state: CircuitState[state] }));
  const retryPolicy = retry(
    handleWhen((error) => error instanceof TransientUpstreamError),
    {
      maxAttempts: resilience.retries,
      backoff: new ExponentialBackoff({ initialDelay: resilience.retryBaseDelayMs, maxDelay: resilience.retryMaxDelayMs }),
    },
  );
  return { agent, breaker, retryPolicy };
}

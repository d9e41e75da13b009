/**
 * How hard the Remnawave client tries, and how soon it gives up. One value in the container
 * (`remnawaveResilience`), so tests and benchmarks can tighten it without new configuration keys.
 */
export interface RemnawaveResilience {
  /** Sockets kept open to the panel at most (undici Agent `connections`); requests beyond wait. */
  readonly poolSize: number;
  /** How long an idle keep-alive socket is kept. */
  readonly keepAliveMs: number;
  /** Extra attempts of an idempotent call after a fast failure (5xx, refused, reset). */
  readonly retries: number;
  /** First backoff delay; later ones grow exponentially, with full jitter. */
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Consecutive upstream failures that open the breaker. */
  readonly breakerThreshold: number;
  /** How long the breaker stays open before one half-open probe is let through. */
  readonly halfOpenAfterMs: number;
}

export const DEFAULT_REMNAWAVE_RESILIENCE: RemnawaveResilience = Object.freeze({
  poolSize: 32,
  keepAliveMs: 30_000,
  retries: 2,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 1_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 10_000,
});

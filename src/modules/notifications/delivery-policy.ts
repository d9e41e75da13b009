import type { Config } from '../../config';

/**
 * How delivery retries and when it gives up. One value in the container (`deliveryPolicy`), so
 * tests and benchmarks can tighten it without configuration keys.
 */
export interface DeliveryPolicy {
  /** Attempts of one message against transient failures (5xx, network) before it is `failed`. */
  readonly maxAttempts: number;
  /** First backoff delay; each later one doubles, up to retryMaxDelayMs. */
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /**
   * A claim older than this belongs to a delivery that died between claiming and recording the
   * outcome: no send can take longer than OUTBOUND_TIMEOUT, so a margin beyond it is safe.
   */
  readonly staleClaimMs: number;
  /** Least time between two messages to one chat (TELEGRAM_CHAT_INTERVAL_MS). */
  readonly chatIntervalMs: number;
}

export const deliveryPolicyFrom = (config: Config): DeliveryPolicy =>
  Object.freeze({
    maxAttempts: 6,
    retryBaseDelayMs: 2_000,
    retryMaxDelayMs: 5 * 60_000,
    staleClaimMs: config.outboundTimeoutMs + 15_000,
    chatIntervalMs: config.notifications.chatIntervalMs,
  });

/** Delay before attempt `attempts + 1` after `attempts` transient failures, with jitter so retries spread out. */
export function backoffDelayMs(policy: DeliveryPolicy, attempts: number, random = Math.random): number {
  const ceiling = Math.min(policy.retryMaxDelayMs, policy.retryBaseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

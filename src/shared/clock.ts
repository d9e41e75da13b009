/**
 * The time source of checks that judge freshness (Telegram's auth_date). A container value, so a
 * test can fix the time by registering another one; production code has no test-only branch.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

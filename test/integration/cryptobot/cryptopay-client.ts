import { asValue } from 'awilix';
import { loadConfig } from '../../../src/config';
import { buildContainer, type AppContainer } from '../../../src/container';
import { createLogger } from '../../../src/infrastructure/logger';
import { DEFAULT_CRYPTOPAY_RESILIENCE, type CryptoPayResilience } from '../../../src/integrations/cryptobot/cryptopay.client';
import { CapturedLogs } from '../../support/captured-logs';
import { testEnv } from '../../support/env';

/** Tiny backoff, a breaker that opens after three failures and half-opens quickly. */
export const FAST_CRYPTOPAY_RESILIENCE: CryptoPayResilience = {
  ...DEFAULT_CRYPTOPAY_RESILIENCE,
  poolSize: 4,
  retries: 2,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  breakerThreshold: 3,
  halfOpenAfterMs: 200,
};

/** A container whose Crypto Pay client points at the fake; only the client's singletons get resolved. */
export function cryptoPayContainer(env: Record<string, string>, options: { timeoutMs?: number; resilience?: Partial<CryptoPayResilience> } = {}): AppContainer & { logs: CapturedLogs } {
  const loaded = loadConfig(testEnv(env));
  const container = buildContainer(options.timeoutMs ? { ...loaded, outboundTimeoutMs: options.timeoutMs } : loaded);
  const logs = new CapturedLogs();
  container.register({
    logger: asValue(createLogger(container.cradle, [logs])),
    cryptoPayResilience: asValue({ ...FAST_CRYPTOPAY_RESILIENCE, ...options.resilience }),
  });
  return Object.assign(container, { logs });
}

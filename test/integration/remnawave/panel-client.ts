import { asValue } from 'awilix';
import { loadConfig } from '../../../src/config';
import { buildContainer, type AppContainer } from '../../../src/container';
import { createLogger } from '../../../src/infrastructure/logger';
import { DEFAULT_REMNAWAVE_RESILIENCE, type RemnawaveResilience } from '../../../src/integrations/remnawave/resilience';
import type { RequestContext } from '../../../src/shared/request-context';
import { CapturedLogs } from '../../support/captured-logs';
import { testEnv } from '../../support/env';

/** Fast resilience settings for tests: tiny backoff, a breaker that opens and half-opens quickly. */
export const FAST_RESILIENCE: RemnawaveResilience = {
  ...DEFAULT_REMNAWAVE_RESILIENCE,
  poolSize: 4,
  retries: 2,
  retryBaseDelayMs: 5,
  retryMaxDelayMs: 20,
  breakerThreshold: 3,
  halfOpenAfterMs: 200,
};

/** A container whose panel client points at `panelUrl`; only the client's singletons get resolved. */
export function panelContainer(
  env: Record<string, string>,
  options: { resilience?: Partial<RemnawaveResilience>; timeoutMs?: number } = {},
): AppContainer & { logs: CapturedLogs } {
  const loaded = loadConfig(testEnv(env));
  const config = options.timeoutMs ? { ...loaded, outboundTimeoutMs: options.timeoutMs } : loaded;
  const container = buildContainer(config);
  const logs = new CapturedLogs();
  container.register({
    logger: asValue(createLogger(container.cradle, [logs])),
    remnawaveResilience: asValue({ ...FAST_RESILIENCE, ...options.resilience }),
  });
  return Object.assign(container, { logs });
}

export const requestContext = (overrides: Partial<RequestContext> = {}): RequestContext => ({
  requestId: 'req-panel-test-1',
  ip: '203.0.113.7',
  userAgent: 'test',
  ...overrides,
});

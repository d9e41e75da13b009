import { asValue } from 'awilix';
import { randomUUID } from 'node:crypto';
import type { AppContainer, Cradle } from '../../src/container';

/** What a worker gives each job: its own scope, with a context naming the job (as a request's names the request). */
export function jobScope(container: AppContainer): Cradle {
  const scope = container.createScope();
  scope.register({ requestContext: asValue({ requestId: `job-${randomUUID()}`, ip: 'worker', userAgent: undefined }) });
  return scope.cradle;
}

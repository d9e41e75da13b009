import { asFunction, asValue, AwilixRegistrationError, AwilixResolutionError } from 'awilix';
import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { buildContainer, type AppContainer } from '../../../src/container';
import { testEnv } from '../../support/env';

describe('container', () => {
  let container: AppContainer;

  beforeEach(() => {
    container = buildContainer(loadConfig(testEnv()));
  });
  afterEach(() => container.dispose());

  const resolve = (from: { resolve: (name: never) => unknown }, name: string) => from.resolve(name as never);

  it('when a singleton depends on a scoped registration, then strict mode refuses to resolve it', () => {
    container.register({ leaky: asFunction(({ planService }: { planService: unknown }) => ({ planService })).singleton() } as never);
    expect(() => resolve(container, 'leaky')).to.throw(AwilixResolutionError, /shorter lifetime/);
    const scope = container.createScope();
    expect(() => resolve(scope, 'leaky')).to.throw(AwilixResolutionError, /shorter lifetime/);
  });

  it('when a singleton depends on the per-request context, then it cannot be resolved at all', () => {
    container.register({
      leaky: asFunction(({ requestContext }: { requestContext: unknown }) => ({ requestContext })).singleton(),
    } as never);
    expect(() => resolve(container, 'leaky')).to.throw(AwilixResolutionError, /requestContext/);
  });

  it('when a scope tries to register a singleton, then strict mode refuses the registration', () => {
    const scope = container.createScope();
    expect(() => scope.register({ mine: asFunction(() => ({})).singleton() } as never)).to.throw(AwilixRegistrationError);
  });

  it('when two scopes resolve services, then singletons are shared and scoped services are not', () => {
    const scope = (requestId: string) => {
      const created = container.createScope();
      created.register({ requestContext: asValue({ requestId, ip: '::1', userAgent: undefined }) });
      return created;
    };
    const one = scope('req-scope-one-0001');
    const two = scope('req-scope-two-0001');
    expect(one.cradle.config).to.equal(two.cradle.config);
    expect(one.cradle.metrics).to.equal(two.cradle.metrics);
    expect(one.cradle.openApiDocument).to.equal(two.cradle.openApiDocument);
    expect(one.cradle.planService).to.equal(one.cradle.planService);
    expect(one.cradle.planService).not.to.equal(two.cradle.planService);
  });

  it('when a test swaps a registration for a fake, then the scopes get the fake', () => {
    const fake = { listActive: async () => ({ items: [], total: 0, page: 1, page_size: 20 }) };
    container.register({ planService: asValue(fake as never) });
    expect(container.createScope().cradle.planService).to.equal(fake);
  });
});

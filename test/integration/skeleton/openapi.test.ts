import { compileErrors, validate } from '@readme/openapi-parser';
import { expect } from 'chai';
import { fullPath } from '../../../src/http/route-definition';
import { routeGroups } from '../../../src/http/route-table';
import { createTestApp, type TestApp } from '../../support/test-app';

interface Layer {
  name?: string;
  rawPath?: unknown;
  slash?: boolean;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

interface Operation {
  security?: unknown[];
  'x-permission'?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
type Document = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
};

/**
 * Every method + path actually mounted on the app: the route layers of the app's router and of
 * every router mounted on it. A router mounted under a prefix must be accounted for here.
 */
function mountedRoutes(stack: Layer[], prefix = ''): Array<{ method: string; path: string }> {
  const found: Array<{ method: string; path: string }> = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on) found.push({ method, path: prefix + layer.route.path });
      }
    } else if (layer.handle?.stack) {
      const mountedAt = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      found.push(...mountedRoutes(layer.handle.stack, prefix + mountedAt));
    }
  }
  return found;
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('OpenAPI document', function () {
  this.timeout(30_000);
  let testApp: TestApp;
  let document: Document;

  before(async () => {
    testApp = await createTestApp();
    const res = await testApp.http.get('/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.type).to.equal('application/json');
    document = res.body as Document;
  });
  after(() => testApp.close());

  it('when /openapi.json is fetched, then it declares OpenAPI 3.1.0 and passes the validator', async () => {
    expect(document.openapi).to.equal('3.1.0');
    expect(document.info.version).to.match(/^\d+\.\d+\.\d+/);
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).to.equal(true);
  });

  it('when the app is built, then every mounted method and path is in the document', () => {
    const router = (testApp.app as unknown as { router: { stack: Layer[] } }).router;
    const mounted = mountedRoutes(router.stack);
    expect(mounted.length).to.be.greaterThan(5);
    expect(mounted).to.deep.include({ method: 'get', path: '/api/v1/plans' });
    expect(mounted).to.deep.include({ method: 'patch', path: '/api/v1/plans/:id' });
    const missing = mounted.filter(({ method, path }) => !document.paths[toOpenApiPath(path)]?.[method]);
    expect(missing, 'mounted but undocumented').to.deep.equal([]);
  });

  it('when the document lists an operation, then that method and path are really mounted', () => {
    const router = (testApp.app as unknown as { router: { stack: Layer[] } }).router;
    const mounted = new Set(mountedRoutes(router.stack).map(({ method, path }) => `${method} ${toOpenApiPath(path)}`));
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    expect(documented.filter((operation) => !mounted.has(operation)), 'documented but not mounted').to.deep.equal([]);
  });

  it('when a route is not public, then its operation names the security schemes and its permission', () => {
    let protectedCount = 0;
    for (const group of routeGroups) {
      for (const route of group.routes) {
        const operation = document.paths[toOpenApiPath(fullPath(group, route))]![route.method]!;
        const where = `${route.method.toUpperCase()} ${fullPath(group, route)}`;
        if (route.access === 'public') {
          expect(operation.security, where).to.equal(undefined);
          expect(operation['x-permission'], where).to.equal(undefined);
          continue;
        }
        protectedCount += 1;
        expect(operation.security, where).to.deep.equal([{ bearerAuth: [] }, { cookieAuth: [] }, { apiKeyAuth: [] }]);
        expect(operation.responses, where).to.have.property('401');
        if (route.access === 'authenticated') {
          expect(operation['x-permission'], where).to.equal(undefined);
        } else {
          expect(operation['x-permission'], where).to.equal(route.access);
          expect(operation.responses, where).to.have.property('403');
        }
      }
    }
    expect(protectedCount).to.be.greaterThan(0);
    // The second scheme: a service API key (POST /admins/api-keys) as a bearer token.
    expect(document.components.securitySchemes.apiKeyAuth).to.include({ type: 'http', scheme: 'bearer' });
    expect(document.paths['/api/v1/plans']!.post!['x-permission']).to.equal('manage_plans');
    expect(document.paths['/api/v1/plans']!.get!.security).to.equal(undefined);
  });

  it('when a route takes a body or parameters, then the document has them and the shared error responses', () => {
    const create = document.paths['/api/v1/plans']!.post!;
    expect(create.requestBody).to.have.nested.property('content.application/json.schema');
    expect(create.responses).to.include.keys('201', '400', '413', '415', '422', '429', '500');
    const update = document.paths['/api/v1/plans/{id}']!.patch!;
    expect(update.parameters).to.deep.include({ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
    const list = document.paths['/api/v1/plans']!.get!;
    expect(list.parameters!.map((parameter) => `${parameter.in}:${parameter.name}`)).to.have.members(['query:page', 'query:page_size', 'query:include_inactive']);
    // Public: the only 401 is the route's own (include_inactive without credentials), not the shared one.
    expect((list.responses as Record<string, { description: string }>)['401']?.description).to.include('include_inactive');
    const invoice = document.paths['/api/v1/payments/crypto/invoice']!.post!;
    const key = (invoice.parameters as { name: string; in: string; required: boolean }[]).find((parameter) => parameter.name === 'idempotency-key');
    expect(key).to.include({ in: 'header', required: false });
    expect(invoice['x-permission']).to.equal('payment_create');
  });

  it('when the document is served twice, then it is the same document (built once per container)', async () => {
    const again = await testApp.http.get('/openapi.json');
    expect(again.body).to.deep.equal(document);
  });
});

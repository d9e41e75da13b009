import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Request } from 'express';
import { ConfigError, loadConfig } from '../../../src/config';
import { boundedQuery, MAX_QUERY_PARAMETERS } from '../../../src/http/input-limits';
import { createClientKey, isExemptFromIpLimits } from '../../../src/http/rate-limits';
import { RequestValidationError } from '../../../src/shared/errors';
import { testEnv } from '../../support/env';

const productionEnv = (overrides: Record<string, string> = {}) =>
  testEnv({
    NODE_ENV: 'production',
    BCRYPT_COST: '12',
    RATE_LIMIT_ENABLED: 'true',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...overrides,
  });

function configErrorOf(env: NodeJS.ProcessEnv): ConfigError | undefined {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return undefined;
}

describe('HTTP edge rules', () => {
  describe('which paths are limited by client IP', () => {
    it('when the path is a probe, the API description or a webhook, then it is exempt', () => {
      for (const path of ['/health', '/ready', '/openapi.json', '/docs', '/docs/', '/docs/swagger-ui.css', '/api/v1/webhooks/cryptobot']) {
        expect(isExemptFromIpLimits(path), path).to.equal(true);
      }
    });

    it('when the path is anything else, then it is limited', () => {
      // /metrics checks a bearer token: it has a limiter of its own (review S3).
      for (const path of ['/metrics', '/api/v1/plans', '/api/v1/auth/login', '/health/x', '/api/v1/webhooks', '/documents', '/no-such-route']) {
        expect(isExemptFromIpLimits(path), path).to.equal(false);
      }
    });
  });

  describe('the counter key of a client', () => {
    const clientKey = createClientKey();
    const key = (ip: string | undefined, remoteAddress = '192.0.2.9') => clientKey({ ip, socket: { remoteAddress } } as unknown as Request);

    it('when the client is IPv4 (plain or IPv4-mapped), then the key is its address', () => {
      expect(key('203.0.113.7')).to.equal('203.0.113.7');
      expect(key('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    });

    it('when the client is IPv6, then the key is its /64', () => {
      expect(key('2001:db8:aa:bb:1:2:3:4')).to.equal('2001:db8:aa:bb::/64');
      expect(key('2001:db8:aa:bb:ffff::1')).to.equal('2001:db8:aa:bb::/64');
    });

    it('when the request has no ip any more (socket gone), then the socket address is used', () => {
      expect(key(undefined)).to.equal('192.0.2.9');
    });
  });

  describe('the query parameter bound', () => {
    const run = (url: string) => {
      let passed = false;
      boundedQuery({ url } as Request, {} as never, () => {
        passed = true;
      });
      return passed;
    };

    it(`when a query string holds up to ${MAX_QUERY_PARAMETERS} pairs, then it passes`, () => {
      expect(run('/api/v1/plans')).to.equal(true);
      expect(run(`/x?${Array.from({ length: MAX_QUERY_PARAMETERS }, () => 'a=1').join('&')}`)).to.equal(true);
    });

    it('when it holds one more, then it is a validation error on the query', () => {
      expect(() => run(`/x?${Array.from({ length: MAX_QUERY_PARAMETERS + 1 }, () => 'a=1').join('&')}`))
        .to.throw(RequestValidationError)
        .with.property('issues')
        .that.deep.equals([{ loc: ['query'], msg: `at most ${MAX_QUERY_PARAMETERS} query parameters are accepted`, type: 'query.parameters.max' }]);
    });
  });

  describe('edge configuration', () => {
    it('when production switches rate limiting off, then the configuration is refused naming the key', () => {
      expect(configErrorOf(productionEnv())).to.equal(undefined);
      expect(configErrorOf(productionEnv({ RATE_LIMIT_ENABLED: 'false' }))?.badKeys).to.deep.equal(['RATE_LIMIT_ENABLED (invalid)']);
    });

    it('when development switches rate limiting off, then it is accepted', () => {
      expect(loadConfig(testEnv({ NODE_ENV: 'development', RATE_LIMIT_ENABLED: 'false' })).rateLimit.enabled).to.equal(false);
    });

    it('when production lists "*" as an origin, then it is refused; development accepts it', () => {
      expect(configErrorOf(productionEnv({ CORS_ORIGINS: 'https://admin.example.org,*' }))?.badKeys).to.deep.equal([
        'CORS_ORIGINS (wildcard not allowed in production)',
      ]);
      expect(loadConfig(testEnv({ NODE_ENV: 'development', CORS_ORIGINS: 'http://localhost:5173, *' })).http.corsOrigins).to.deep.equal([
        'http://localhost:5173',
        '*',
      ]);
    });

    it('when an origin is not an exact scheme://host[:port], then it is refused (it could never match)', () => {
      for (const origins of ['http://admin.test/', 'admin.test', 'https://admin.test/app', 'https://*.admin.test', 'ftp://admin.test']) {
        expect(configErrorOf(testEnv({ CORS_ORIGINS: origins }))?.badKeys, origins).to.deep.equal(['CORS_ORIGINS (invalid)']);
      }
      expect(loadConfig(testEnv({ CORS_ORIGINS: 'https://admin.test:8443,http://[::1]:5173' })).http.corsOrigins).to.have.length(2);
    });

    it('when TRUST_PROXY is "true", then it is refused (every hop trusted lets anyone forge the client IP)', () => {
      expect(configErrorOf(testEnv({ TRUST_PROXY: 'true' }))?.badKeys).to.deep.equal(['TRUST_PROXY (invalid)']);
      expect(loadConfig(testEnv({ TRUST_PROXY: '1' })).http.trustProxy).to.equal(1);
      expect(loadConfig(testEnv({ TRUST_PROXY: 'false' })).http.trustProxy).to.equal(false);
    });
  });
});

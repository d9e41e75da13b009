import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { expect } from 'chai';
import { ConfigError, loadConfig, type Config } from '../../../src/config';
import { parseDurationSeconds } from '../../../src/config/duration';
import { envSchema } from '../../../src/config/env.schema';

/** The repository root, found from this file whether it runs as .ts (tsx) or compiled under build-test/. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, '.env.example'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
  return dir;
}

/** Every value is distinctive, so a test can prove that no error message ever repeats one. */
function validEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    PORT: '8123',
    DATABASE_URL: 'postgres://qzuser@db.qz-internal:5432/qzdb',
    REDIS_URL: 'redis://cache.qz-internal:6379/3',
    JWT_SECRET: 'qzJwtSecretValue-0123456789abcdefghijkl',
    REMNAWAVE_URL: 'http://panel.qz-internal:3000',
    REMNAWAVE_TOKEN: 'qzRemnawaveTokenValue',
    REMNAWAVE_WEBHOOK_SECRET: 'qzWebhookSecretValue-0123456789abcdefgh',
    CRYPTOBOT_TOKEN: 'qzCryptobotTokenValue',
    TELEGRAM_BOT_TOKEN: 'qzTelegramBotTokenValue',
    GITHUB_CLIENT_ID: 'qzGithubClientIdValue',
    GITHUB_CLIENT_SECRET: 'qzGithubClientSecretValue',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    METRICS_TOKEN: 'qzMetricsTokenValue-0123',
    PATH: '/usr/bin:/bin',
    ...overrides,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
}

/** What `openssl rand -hex 32` prints: what production asks METRICS_TOKEN to look like. */
const STRONG_METRICS_TOKEN = randomBytes(32).toString('hex');

/** A production environment that passes every production rule. */
function productionEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return validEnv({
    NODE_ENV: 'production',
    BCRYPT_COST: '12',
    CORS_ORIGINS: 'https://admin.cybervpn.test',
    METRICS_TOKEN: STRONG_METRICS_TOKEN,
    ...overrides,
  });
}

function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted the environment');
}

const REQUIRED_KEYS = [
  'DATABASE_URL',
  'REDIS_URL',
  'JWT_SECRET',
  'REMNAWAVE_URL',
  'REMNAWAVE_TOKEN',
  'REMNAWAVE_WEBHOOK_SECRET',
  'CRYPTOBOT_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'GITHUB_CLIENT_ID',
  'GITHUB_CLIENT_SECRET',
  'DATA_ENCRYPTION_KEY',
  'METRICS_TOKEN',
];

const SECRET_KEYS = [
  'JWT_SECRET',
  'REMNAWAVE_TOKEN',
  'REMNAWAVE_WEBHOOK_SECRET',
  'CRYPTOBOT_TOKEN',
  'TELEGRAM_BOT_TOKEN',
  'GITHUB_CLIENT_SECRET',
  'DATA_ENCRYPTION_KEY',
  'METRICS_TOKEN',
  'JWT_PREVIOUS_SECRETS',
  'DATA_ENCRYPTION_PREVIOUS_KEYS',
];

function expectDeeplyFrozen(value: object, where = 'config'): void {
  expect(Object.isFrozen(value), `${where} is frozen`).to.equal(true);
  for (const [key, child] of Object.entries(value)) {
    if (child && typeof child === 'object' && !Buffer.isBuffer(child)) expectDeeplyFrozen(child as object, `${where}.${key}`);
  }
}

describe('configuration', () => {
  describe('a valid environment', () => {
    it('when every required key is valid, then loadConfig returns a typed Config with defaults applied', () => {
      const env = validEnv();
      const config = loadConfig(env);
      expect(config.env).to.equal('test');
      expect(config.isProduction).to.equal(false);
      expect(config.port).to.equal(8123);
      expect(config.log).to.deep.equal({ level: 'info', format: 'json' });
      expect(config.database).to.deep.equal({ url: env.DATABASE_URL, poolMax: 10 });
      expect(config.redis).to.deep.equal({ url: env.REDIS_URL, keyPrefix: 'cybervpn:', clusterNodes: [] });
      expect(config.jwt).to.deep.equal({
        secret: env.JWT_SECRET,
        previousSecrets: [],
        issuer: 'cybervpn-admin',
        audience: 'cybervpn-admin-api',
        accessTtlSeconds: 900,
        refreshTtlSeconds: 7 * 86400,
      });
      expect(config.passwordHashing).to.deep.equal({ cost: 12, threads: availableParallelism(), maxQueue: 200 });
      expect(config.http).to.deep.equal({
        corsOrigins: [],
        trustProxy: false,
        bodyLimit: '100kb',
        docsEnabled: true,
        shutdownTimeoutMs: 10_000,
      });
      expect(config.rateLimit).to.deep.equal({ enabled: true, windowMs: 60_000, globalMax: 100, authMax: 5 });
      expect(config.cryptobot.url).to.equal('https://pay.crypt.bot');
      expect(config.telegram.apiUrl).to.equal('https://api.telegram.org');
      expect(config.github).to.deep.equal({
        clientId: env.GITHUB_CLIENT_ID,
        clientSecret: env.GITHUB_CLIENT_SECRET,
        oauthUrl: 'https://github.com',
        apiUrl: 'https://api.github.com',
      });
      expect(config.outboundTimeoutMs).to.equal(10_000);
      expect(config.dataEncryptionKey.equals(Buffer.from(String(env.DATA_ENCRYPTION_KEY), 'base64'))).to.equal(true);
      expect(config.dataEncryptionKey.length).to.equal(32);
      expect(config.metricsToken).to.equal(env.METRICS_TOKEN);
    });

    it('when the Config is built, then it and every nested object are frozen', () => {
      const config = loadConfig(validEnv({ CORS_ORIGINS: 'https://a.test,https://b.test' }));
      expectDeeplyFrozen(config);
      expect(() => {
        (config as { port: number }).port = 1;
      }).to.throw(TypeError);
      expect(() => {
        (config.jwt as { secret: string }).secret = 'x';
      }).to.throw(TypeError);
      expect(() => {
        (config.http.corsOrigins as string[]).push('https://evil.test');
      }).to.throw(TypeError);
      expect(config.http.corsOrigins).to.deep.equal(['https://a.test', 'https://b.test']);
    });

    it('when optional keys are set, then they override the defaults', () => {
      const config = loadConfig(
        validEnv({
          LOG_LEVEL: 'debug',
          LOG_FORMAT: 'pretty',
          DATABASE_POOL_MAX: '3',
          REDIS_KEY_PREFIX: 'qz:',
          BCRYPT_COST: '10',
          HASH_POOL_THREADS: '3',
          HASH_POOL_MAX_QUEUE: '7',
          CORS_ORIGINS: ' https://a.test , ,https://b.test ',
          BODY_LIMIT: '2mb',
          RATE_LIMIT_ENABLED: 'no',
          RATE_LIMIT_WINDOW: '2m',
          RATE_LIMIT_GLOBAL_MAX: '50',
          RATE_LIMIT_AUTH_MAX: '2',
          DOCS_ENABLED: 'false',
          SHUTDOWN_TIMEOUT: '3s',
          OUTBOUND_TIMEOUT: '1',
          ACCESS_TOKEN_TTL: '900',
          REFRESH_TOKEN_TTL: '12h',
        }),
      );
      expect(config.log).to.deep.equal({ level: 'debug', format: 'pretty' });
      expect(config.database.poolMax).to.equal(3);
      expect(config.redis.keyPrefix).to.equal('qz:');
      expect(config.passwordHashing).to.deep.equal({ cost: 10, threads: 3, maxQueue: 7 });
      expect(config.http.corsOrigins).to.deep.equal(['https://a.test', 'https://b.test']);
      expect(config.http.bodyLimit).to.equal('2mb');
      expect(config.http.docsEnabled).to.equal(false);
      expect(config.http.shutdownTimeoutMs).to.equal(3000);
      expect(config.rateLimit).to.deep.equal({ enabled: false, windowMs: 120_000, globalMax: 50, authMax: 2 });
      expect(config.outboundTimeoutMs).to.equal(1000);
      expect(config.jwt.accessTtlSeconds).to.equal(900);
      expect(config.jwt.refreshTtlSeconds).to.equal(12 * 3600);
    });

    it('when NODE_ENV is development, then logs are pretty; elsewhere JSON', () => {
      expect(loadConfig(validEnv({ NODE_ENV: 'development' })).log.format).to.equal('pretty');
      expect(loadConfig(validEnv({ NODE_ENV: undefined })).env).to.equal('development');
      expect(loadConfig(validEnv({ NODE_ENV: 'test' })).log.format).to.equal('json');
      expect(loadConfig(productionEnv()).log.format).to.equal('json');
    });

    for (const [value, expected] of [
      ['false', false],
      ['0', false],
      ['1', 1],
      ['2', 2],
      ['loopback', 'loopback'],
      ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
      ['::1', '::1'],
    ] as const) {
      it(`when TRUST_PROXY is "${value}", then trustProxy is ${JSON.stringify(expected)}`, () => {
        expect(loadConfig(validEnv({ TRUST_PROXY: value })).http.trustProxy).to.equal(expected);
      });
    }
  });

  describe('missing keys', () => {
    it('when every required key is missing, then one ConfigError names every one of them at once', () => {
      const env = validEnv(Object.fromEntries(REQUIRED_KEYS.map((key) => [key, undefined])));
      const error = configErrorOf(env);
      expect(error.name).to.equal('ConfigError');
      expect(error.badKeys).to.have.members(REQUIRED_KEYS.map((key) => `${key} (missing)`));
      for (const key of REQUIRED_KEYS) expect(error.message).to.include(key);
    });

    for (const key of REQUIRED_KEYS) {
      it(`when ${key} alone is missing, then the ConfigError names exactly it and no value`, () => {
        const env = validEnv({ [key]: undefined });
        const error = configErrorOf(env);
        expect(error.badKeys).to.deep.equal([`${key} (missing)`]);
        expect(error.message).to.equal(`Invalid configuration: ${key} (missing)`);
        for (const value of Object.values(env)) expect(error.message).not.to.include(String(value));
      });
    }
  });

  describe('invalid formats', () => {
    const bad: Record<string, string> = {
      JWT_SECRET: 'qzTooShortJwtSecret',
      BCRYPT_COST: '9',
      DATABASE_URL: 'mysql://qzuser:qzpass@db.qz-bad-url/qzdb',
      REDIS_URL: 'qz not a url at all',
      REMNAWAVE_URL: 'ftp://qz-ftp-host/path',
      TRUST_PROXY: 'true',
      DATA_ENCRYPTION_KEY: Buffer.from('qz-sixteen-bytes').toString('base64'),
      ACCESS_TOKEN_TTL: 'qz-fifteen-minutes',
      REFRESH_TOKEN_TTL: '0',
      PORT: '70000',
      LOG_LEVEL: 'qzloud',
      METRICS_TOKEN: 'qzShortMetric',
      REMNAWAVE_WEBHOOK_SECRET: 'qzShortWebhookSecret',
      BODY_LIMIT: 'qzlots',
      REDIS_KEY_PREFIX: 'qz prefix with spaces',
      RATE_LIMIT_ENABLED: 'qzmaybe',
      NODE_ENV: 'qzstaging',
    };

    it('when many values are malformed, then one ConfigError names every bad key and none of the values', () => {
      const error = configErrorOf(validEnv(bad));
      expect(error.badKeys).to.have.members(Object.keys(bad).map((key) => `${key} (invalid)`));
      for (const value of Object.values(bad)) {
        expect(error.message).not.to.include(value);
        expect(JSON.stringify(error.badKeys)).not.to.include(value);
      }
      expect(error.message).not.to.include('qz');
    });

    for (const [key, value] of Object.entries(bad)) {
      it(`when ${key} is malformed (${JSON.stringify(value)}), then the ConfigError names it without its value`, () => {
        const error = configErrorOf(validEnv({ [key]: value }));
        expect(error.badKeys).to.deep.equal([`${key} (invalid)`]);
        expect(error.message).not.to.include(value);
      });
    }

    it('when JWT_SECRET is exactly 32 bytes, then it is accepted; at 31 bytes it is refused', () => {
      expect(loadConfig(validEnv({ JWT_SECRET: 'q'.repeat(32) })).jwt.secret).to.have.length(32);
      expect(configErrorOf(validEnv({ JWT_SECRET: 'q'.repeat(31) })).badKeys).to.deep.equal(['JWT_SECRET (invalid)']);
    });

    it('when JWT_SECRET is 16 three-byte characters (48 bytes), then its byte length counts, not its character count', () => {
      expect(loadConfig(validEnv({ JWT_SECRET: 'ж€'.repeat(8) + '€'.repeat(8) })).jwt.secret).to.have.length(24);
    });

    it('when DATA_ENCRYPTION_KEY decodes to 33 bytes, then it is refused', () => {
      const error = configErrorOf(validEnv({ DATA_ENCRYPTION_KEY: randomBytes(33).toString('base64') }));
      expect(error.badKeys).to.deep.equal(['DATA_ENCRYPTION_KEY (invalid)']);
    });

    it('when a value is an empty string, then the key is reported, not accepted', () => {
      const error = configErrorOf(validEnv({ JWT_SECRET: '', REMNAWAVE_TOKEN: '' }));
      expect(error.badKeys.map((entry) => entry.split(' ')[0])).to.have.members(['JWT_SECRET', 'REMNAWAVE_TOKEN']);
    });
  });

  describe('durations', () => {
    for (const [text, seconds] of [
      ['15m', 900],
      ['7d', 604_800],
      ['900', 900],
      ['900s', 900],
      ['12h', 43_200],
      [' 5m ', 300],
    ] as const) {
      it(`when the duration is "${text}", then it is ${seconds} seconds`, () => {
        expect(parseDurationSeconds(text)).to.equal(seconds);
      });
    }

    for (const text of ['0', '0m', '', '15x', '-5', '1.5h', 'm', '15 m', '7days']) {
      it(`when the duration is "${text}", then it is refused`, () => {
        expect(parseDurationSeconds(text)).to.equal(null);
      });
    }
  });

  describe('production rules', () => {
    it('when production gets real secrets, an origin list and BCRYPT_COST 12, then it starts with docs off by default', () => {
      const config = loadConfig(productionEnv());
      expect(config.isProduction).to.equal(true);
      expect(config.env).to.equal('production');
      expect(config.http.docsEnabled).to.equal(false);
      expect(config.passwordHashing.cost).to.equal(12);
    });

    it('when production sets DOCS_ENABLED=true, then the docs are on', () => {
      expect(loadConfig(productionEnv({ DOCS_ENABLED: 'true' })).http.docsEnabled).to.equal(true);
    });

    for (const key of SECRET_KEYS) {
      it(`when production has a placeholder ${key}, then it is refused naming ${key} and not the value`, () => {
        const placeholder =
          key === 'DATA_ENCRYPTION_KEY' || key === 'DATA_ENCRYPTION_PREVIOUS_KEYS'
            ? Buffer.from('change-me-qz-32-bytes-of-nothing').toString('base64')
            : 'change-me-qz-placeholder-value-0123456789';
        const error = configErrorOf(productionEnv({ [key]: placeholder }));
        expect(error.badKeys).to.deep.equal([`${key} (placeholder value)`]);
        expect(error.message).not.to.include(placeholder);
      });
    }

    for (const placeholder of ['replace_me-0123456789abcdef0123456789ab', 'your-example-secret-0123456789abcdefghij', 'x'.repeat(40)]) {
      it(`when production's JWT_SECRET is "${placeholder.slice(0, 12)}...", then it is refused as a placeholder`, () => {
        expect(configErrorOf(productionEnv({ JWT_SECRET: placeholder })).badKeys).to.deep.equal(['JWT_SECRET (placeholder value)']);
      });
    }

    it('when production uses the base64 DATA_ENCRYPTION_KEY of .env.example, then it is refused though it decodes to 32 bytes', () => {
      const example = parseEnv(readFileSync(path.join(repoRoot(), '.env.example'), 'utf8'));
      const key = String(example.DATA_ENCRYPTION_KEY);
      expect(Buffer.from(key, 'base64')).to.have.length(32);
      expect(Buffer.from(key, 'base64').toString()).to.match(/change-me/);
      const error = configErrorOf(productionEnv({ DATA_ENCRYPTION_KEY: key }));
      expect(error.badKeys).to.deep.equal(['DATA_ENCRYPTION_KEY (placeholder value)']);
      expect(error.message).not.to.include(key);
    });

    for (const origins of ['*', 'https://admin.cybervpn.test, *']) {
      it(`when production has CORS_ORIGINS "${origins}", then the wildcard is refused`, () => {
        expect(configErrorOf(productionEnv({ CORS_ORIGINS: origins })).badKeys).to.deep.equal([
          'CORS_ORIGINS (wildcard not allowed in production)',
        ]);
      });
    }

    it('when development has CORS_ORIGINS "*", then it is accepted', () => {
      expect(loadConfig(validEnv({ CORS_ORIGINS: '*' })).http.corsOrigins).to.deep.equal(['*']);
    });

    for (const cost of ['10', '11']) {
      it(`when production has BCRYPT_COST ${cost}, then it is refused`, () => {
        expect(configErrorOf(productionEnv({ BCRYPT_COST: cost })).badKeys).to.deep.equal([
          'BCRYPT_COST (must be at least 12 in production)',
        ]);
      });
    }

    it('when production leaves BCRYPT_COST unset, then the default 12 passes', () => {
      expect(loadConfig(productionEnv({ BCRYPT_COST: undefined })).passwordHashing.cost).to.equal(12);
    });

    it('when production switches rate limiting off, then it is refused (.env.example: cannot be switched off in production)', () => {
      const error = configErrorOf(productionEnv({ RATE_LIMIT_ENABLED: 'false' }));
      expect(error.badKeys).to.have.length(1);
      expect(error.badKeys[0]).to.match(/^RATE_LIMIT_ENABLED /);
    });

    for (const [why, token] of [
      ['16 characters (enough outside production)', 'qz7Kp2Lm9Xv4Rt6W'],
      ['31 random characters', randomBytes(24).toString('base64url').slice(0, 31)],
      ['a random block repeated', randomBytes(8).toString('hex').repeat(3)],
      ['a short string repeated', 'qz12'.repeat(12)],
      ['two characters alternating', 'qzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqzqz'],
      ['a human-chosen phrase', 'qz-our-prometheus-metrics-token-2026'],
      ['a password-like phrase', 'QzSuperSecretPasswordForScrapes2026!'],
    ] as const) {
      it(`when production's METRICS_TOKEN is ${why}, then it is refused naming METRICS_TOKEN and not the value (review S3)`, () => {
        const error = configErrorOf(productionEnv({ METRICS_TOKEN: token }));
        expect(error.badKeys).to.deep.equal(['METRICS_TOKEN (must be at least 32 random characters in production, e.g. openssl rand -hex 32)']);
        expect(error.message).not.to.include(token);
      });
    }

    it('when production has random METRICS_TOKENs (hex, base64url), then each is accepted', () => {
      for (let i = 0; i < 200; i += 1) {
        for (const token of [randomBytes(16).toString('hex'), randomBytes(32).toString('hex'), randomBytes(24).toString('base64url')]) {
          expect(loadConfig(productionEnv({ METRICS_TOKEN: token })).metricsToken).to.equal(token);
        }
      }
    });

    it('when development has a 16-byte METRICS_TOKEN, then it is still accepted', () => {
      expect(loadConfig(validEnv({ METRICS_TOKEN: 'qz-sixteen-bytes' })).metricsToken).to.equal('qz-sixteen-bytes');
    });

    it('when production breaks several rules at once, then every one is named in one error', () => {
      const error = configErrorOf(
        productionEnv({ JWT_SECRET: 'changeme-qz-0123456789abcdefghijklmnop', CORS_ORIGINS: '*', BCRYPT_COST: '11' }),
      );
      expect(error.badKeys).to.have.members([
        'JWT_SECRET (placeholder value)',
        'CORS_ORIGINS (wildcard not allowed in production)',
        'BCRYPT_COST (must be at least 12 in production)',
      ]);
    });
  });

  describe('.env.example', () => {
    const readExample = () => parseEnv(readFileSync(path.join(repoRoot(), '.env.example'), 'utf8')) as NodeJS.ProcessEnv;

    it('when .env.example is copied as-is and DATABASE_URL is added, then it is a valid development config', () => {
      const config: Config = loadConfig({ ...readExample(), DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/cybervpn' });
      expect(config.env).to.equal('development');
      expect(config.log.format).to.equal('pretty');
      expect(config.http.docsEnabled).to.equal(true);
      expect(config.passwordHashing.cost).to.be.at.least(12);
    });

    it('when .env.example is used with NODE_ENV=production, then every placeholder secret is refused', () => {
      const error = configErrorOf({ ...readExample(), NODE_ENV: 'production', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/cybervpn' });
      // The previous keys of a rotation are empty there: nothing to refuse.
      const setThere = SECRET_KEYS.filter((key) => !key.includes('PREVIOUS'));
      expect(error.badKeys).to.include.members(setThere.map((key) => `${key} (placeholder value)`));
    });

    it('when the schema knows a key, then .env.example documents it (set or commented out)', () => {
      const text = readFileSync(path.join(repoRoot(), '.env.example'), 'utf8');
      const keys = Object.keys((envSchema.describe() as { keys: Record<string, unknown> }).keys);
      expect(keys.length).to.be.greaterThan(30);
      const undocumented = keys.filter((key) => !new RegExp(`^#?\\s*${key}=`, 'm').test(text));
      expect(undocumented).to.deep.equal([]);
    });
  });
});

import { testDatabaseUrl } from './database';

/** The environment of an API under test: real PostgreSQL and Redis, outside services on localhost. */
export const TEST_REDIS_PREFIX = `test:${process.pid}:`;
export const TEST_METRICS_TOKEN = '3f9c1a7e5b2d48c6a0e19f7b3c5d2e8a';

export function testEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: testDatabaseUrl(),
    DATABASE_POOL_MAX: '5',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
    REDIS_KEY_PREFIX: TEST_REDIS_PREFIX,
    JWT_SECRET: 'test-jwt-secret-that-is-at-least-32-bytes-long',
    BCRYPT_COST: '10',
    HASH_POOL_THREADS: '2',
    CORS_ORIGINS: 'http://admin.test',
    RATE_LIMIT_ENABLED: 'false',
    REMNAWAVE_URL: 'http://127.0.0.1:9',
    REMNAWAVE_TOKEN: 'remnawave-test-token',
    REMNAWAVE_WEBHOOK_SECRET: 's3cretWebhookHeaderValue0123456789abcdef',
    CRYPTOBOT_URL: 'http://127.0.0.1:9',
    CRYPTOBOT_TOKEN: '12345:AAtestTokenForSignatureVectors000000',
    TELEGRAM_BOT_TOKEN: '7000000001:AAFakeBotTokenForVectors_abcdefghijk',
    TELEGRAM_API_URL: 'http://127.0.0.1:9',
    GITHUB_CLIENT_ID: 'test-client-id',
    GITHUB_CLIENT_SECRET: 'test-client-secret',
    GITHUB_OAUTH_URL: 'http://127.0.0.1:9',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    // Random-looking, as production requires (at least 32 characters of random text).
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    SHUTDOWN_TIMEOUT: '5s',
    ...overrides,
  };
}

import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { createLogger, redact } from '../../../src/infrastructure/logger';
import { RequestContextStore } from '../../../src/shared/request-context';
import { CapturedLogs } from '../../support/captured-logs';
import { testEnv } from '../../support/env';

const MESSAGE = Symbol.for('message');

function loggerWith(env: Record<string, string> = {}) {
  const config = loadConfig(testEnv(env));
  const requestContextStore = new RequestContextStore();
  const logs = new CapturedLogs();
  const logger = createLogger({ config, requestContextStore }, [logs]);
  return { logger, logs, requestContextStore };
}

/** The text the transport would write: what a log shipper would actually receive. */
const written = (entry: Record<string | symbol, unknown>): string => String(entry[MESSAGE]);

describe('logger', () => {
  describe('LOG_LEVEL', () => {
    it('when LOG_LEVEL is warn, then warn and error are kept and info, http and debug are dropped', () => {
      const { logger, logs } = loggerWith({ LOG_LEVEL: 'warn' });
      logger.error('e1');
      logger.warn('w1');
      logger.info('i1');
      logger.http('h1');
      logger.debug('d1');
      expect(logs.entries.map((entry) => entry.message)).to.deep.equal(['e1', 'w1']);
    });

    it('when an entry is below every transport\'s level, then it is dropped before any format reads it', () => {
      const { logger, logs } = loggerWith({ LOG_LEVEL: 'info' });
      let reads = 0;
      // Nested: winston copies the top level of `meta` itself; only the formats look deeper.
      const meta = { nested: { get detail() { reads += 1; return 'x'; } } };
      logger.debug('below', meta);
      expect(reads).to.equal(0);
      logger.info('kept', meta);
      expect(reads).to.be.greaterThan(0);
      expect(logs.entries.map((entry) => entry.message)).to.deep.equal(['kept']);
      // A transport with a level of its own still gets what that level lets through.
      const verbose = new CapturedLogs({ level: 'debug' });
      logger.add(verbose);
      logger.debug('for the verbose transport');
      expect(verbose.entries.map((entry) => entry.message)).to.deep.equal(['for the verbose transport']);
      expect(logs.entries.map((entry) => entry.message)).to.deep.equal(['kept']);
    });

    it('when LOG_LEVEL is debug, then debug is kept and silly is dropped', () => {
      const { logger, logs } = loggerWith({ LOG_LEVEL: 'debug' });
      logger.http('h1');
      logger.debug('d1');
      logger.silly('s1');
      expect(logs.entries.map((entry) => entry.message)).to.deep.equal(['h1', 'd1']);
    });
  });

  describe('formats', () => {
    it('when the format is json, then each entry is written as one JSON object with a timestamp', () => {
      const { logger, logs } = loggerWith({ LOG_FORMAT: 'json' });
      logger.warn('hello', { answer: 42 });
      const line = JSON.parse(written(logs.entries[0]!)) as Record<string, unknown>;
      expect(line).to.include({ level: 'warn', message: 'hello', answer: 42 });
      expect(line.timestamp).to.be.a('string');
    });

    it('when the format is pretty, then the line reads "timestamp level message {extra}"', () => {
      const { logger, logs } = loggerWith({ LOG_FORMAT: 'pretty' });
      logger.warn('hello', { answer: 42 });
      logger.warn('bare');
      const text = written(logs.entries[0]!);
      expect(text).to.match(/^\d{4}-\d\d-\d\dT\S+ \S*warn\S* hello \{"answer":42\}$/);
      expect(written(logs.entries[1]!)).to.match(/ bare$/);
    });
  });

  describe('request context', () => {
    it('when a line is logged inside a request context, then it carries the request id and admin id', async () => {
      const { logger, logs, requestContextStore } = loggerWith();
      await requestContextStore.run({ requestId: 'req-qz-0001', ip: '127.0.0.1', userAgent: undefined, adminId: 'admin-1' }, async () => {
        await Promise.resolve();
        logger.warn('inside');
      });
      logger.warn('outside');
      expect(logs.entries[0]).to.include({ request_id: 'req-qz-0001', admin_id: 'admin-1' });
      expect(logs.entries[1]).not.to.have.property('request_id');
    });

    it('when a line names its own request_id, then the context does not overwrite it', () => {
      const { logger, logs, requestContextStore } = loggerWith();
      requestContextStore.run({ requestId: 'req-from-context', ip: '::1', userAgent: 'ua' }, () => {
        logger.warn('explicit', { request_id: 'req-explicit' });
      });
      expect(logs.entries[0]).to.include({ request_id: 'req-explicit' });
      expect(logs.entries[0]).not.to.have.property('admin_id');
    });
  });

  describe('redaction', () => {
    const SECRETS = ['qz-pass-1', 'qz-token-2', 'qz-auth-3', 'qz-cookie-4', 'qz-sig-5', 'qz-key-6', 'qz-secret-7', 'qz-top-8', 'qz-totp-9'];

    it('when secrets sit under sensitive keys nested in objects and arrays, then the captured entry and the written line hold none of them', () => {
      const { logger, logs } = loggerWith();
      logger.warn('login attempt', {
        password: 'qz-top-8',
        body: {
          login: 'alice',
          password: 'qz-pass-1',
          nested: [{ refresh_token: 'qz-token-2' }, { headers: { Authorization: 'Bearer qz-auth-3', cookie: 'qz-cookie-4' } }],
        },
        webhook: { 'crypto-pay-api-signature': 'qz-sig-5', meta: [[{ api_key: 'qz-key-6' }]] },
        github: { clientSecret: 'qz-secret-7' },
        tfa: { totp_code: 'qz-totp-9' },
      });
      const entry = logs.entries[0]!;
      const text = JSON.stringify(entry) + written(entry);
      for (const secret of SECRETS) expect(text).not.to.include(secret);
      expect(entry.password).to.equal('[redacted]');
      const body = entry.body as { login: string; password: string; nested: Array<Record<string, unknown>> };
      expect(body.login).to.equal('alice');
      expect(body.password).to.equal('[redacted]');
      expect(body.nested[0]).to.deep.equal({ refresh_token: '[redacted]' });
      expect(body.nested[1]).to.deep.equal({ headers: { Authorization: '[redacted]', cookie: '[redacted]' } });
      expect((entry.webhook as Record<string, unknown>)['crypto-pay-api-signature']).to.equal('[redacted]');
      expect((entry.webhook as { meta: unknown }).meta).to.deep.equal([[{ api_key: '[redacted]' }]]);
    });

    it('when an Error is logged, then its name, message, stack and library code stay and its secret fields go', () => {
      const { logger, logs } = loggerWith();
      const error = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED', password: 'qz-pass-1', port: 5432 });
      logger.error('db down', { error });
      const logged = logs.entries[0]!.error as Record<string, unknown>;
      expect(logged).to.include({ name: 'Error', message: 'connect failed', code: 'ECONNREFUSED', password: '[redacted]', port: 5432 });
      expect(logged.stack).to.be.a('string').and.include('connect failed');
      expect(written(logs.entries[0]!)).to.include('ECONNREFUSED').and.not.include('qz-pass-1');
    });

    it('when an Error has a cause, then the whole chain is logged (the cause is where the real reason is)', () => {
      const { logger, logs } = loggerWith();
      const inner = Object.assign(new Error('relation "qz_table" does not exist'), { code: '42P01' });
      logger.error('request failed', { error: new Error('Unexpected error', { cause: inner }) });
      const logged = logs.entries[0]!.error as { cause?: Record<string, unknown> };
      expect(logged.cause).to.include({ message: 'relation "qz_table" does not exist', code: '42P01' });
      expect(written(logs.entries[0]!)).to.include('qz_table');
    });

    it('when an AggregateError is logged, then its inner errors are logged too', () => {
      const { logger, logs } = loggerWith();
      const aggregate = new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' })], '');
      logger.error('db down', { error: aggregate });
      const logged = logs.entries[0]!.error as { errors?: Array<Record<string, unknown>> };
      expect(logged.errors?.[0]).to.include({ code: 'ECONNREFUSED' });
    });

    it('when the whole Config is logged, then no secret of it reaches the entry', () => {
      const { logger, logs } = loggerWith();
      const config = loadConfig(
        testEnv({ DATA_ENCRYPTION_KEY: Buffer.from('qz-encryption-key-32-bytes-long!').toString('base64') }),
      );
      logger.warn('starting', { config });
      const entry = logs.entries[0]!;
      const text = JSON.stringify(entry) + written(entry);
      for (const secret of [
        config.jwt.secret,
        config.remnawave.token,
        config.remnawave.webhookSecret,
        config.cryptobot.token,
        config.telegram.botToken,
        config.github.clientSecret,
        config.metricsToken,
        config.dataEncryptionKey.toString('base64'),
        'qz-encryption-key',
      ]) {
        expect(text).not.to.include(secret);
      }
      const logged = entry.config as { dataEncryptionKey: unknown; port: unknown };
      expect(logged.dataEncryptionKey).to.equal('[redacted]');
      expect(logged.port).to.equal(config.port);
      // Raw bytes under the key would be written as {"type":"Buffer","data":[...]}.
      expect(text).not.to.include('"type":"Buffer"');
    });

    it('when a value nests deeper than the limit, then it is truncated instead of walked for ever', () => {
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;
      const result = redact({ a: cyclic }) as Record<string, unknown>;
      expect(JSON.stringify(result)).to.include('[truncated]');
      expect(redact('plain')).to.equal('plain');
      expect(redact(null)).to.equal(null);
    });
  });
});

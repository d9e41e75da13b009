import { expect } from 'chai';
import { toAppError } from '../../../src/http/error-handler';
import { renderError } from '../../../src/http/error-catalog';
import { fromCelebrateError } from '../../../src/http/validation';
import { asUnavailability } from '../../../src/infrastructure/unavailability';
import { ReadinessProbe } from '../../../src/infrastructure/readiness';
import { InternalError, NotFoundError, ServiceUnavailableError } from '../../../src/shared/errors';

const withCode = (message: string, code: string, name = 'Error') => Object.assign(new Error(message), { code, name });

describe('error mapping', () => {
  describe('asUnavailability', () => {
    for (const [why, error, component] of [
      ['a knex pool timeout', Object.assign(new Error('Knex: Timeout acquiring a connection'), { name: 'KnexTimeoutError' }), 'database'],
      ['a PostgreSQL connection exception (08006)', withCode('connection failure', '08006'), 'database'],
      ['too many connections (53300)', withCode('sorry, too many clients already', '53300'), 'database'],
      ['an administrator shutdown (57P01)', withCode('terminating connection due to administrator command', '57P01'), 'database'],
      ['a terminated connection', new Error('Connection terminated unexpectedly'), 'database'],
      ['ioredis giving up', Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }), 'redis'],
      ['Redis offline with no queue', new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'redis'],
      ['a closed Redis connection', new Error('Connection is closed.'), 'redis'],
      ['a saturated hash pool', new Error('Task queue is at limit'), 'password hashing'],
      ['a refused connection', withCode('connect ECONNREFUSED 10.0.0.1:5432', 'ECONNREFUSED'), 'dependency'],
      ['a DNS failure', withCode('getaddrinfo EAI_AGAIN db', 'EAI_AGAIN'), 'dependency'],
    ] as const) {
      it(`when the error is ${why}, then it is a 503 for "${component}"`, () => {
        const mapped = asUnavailability(error);
        expect(mapped).to.be.instanceOf(ServiceUnavailableError);
        expect(mapped!.component).to.equal(component);
        expect(mapped!.cause).to.equal(error);
      });
    }

    it('when the network error is wrapped in an AggregateError (pg on a dual-stack host), then it is found', () => {
      const aggregate = new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], '');
      expect(asUnavailability(aggregate)?.component).to.equal('dependency');
    });

    it('when the network error is in a cause chain, then it is found', () => {
      const wrapped = new Error('outer', { cause: new Error('middle', { cause: withCode('timeout', 'ETIMEDOUT') }) });
      expect(asUnavailability(wrapped)?.component).to.equal('dependency');
    });

    for (const [why, error] of [
      ['a SQL error', withCode('relation "x" does not exist', '42P01')],
      ['a unique violation', withCode('duplicate key', '23505')],
      ['a plain Error', new Error('boom')],
      ['a string', 'boom'],
      ['null', null],
    ] as const) {
      it(`when the error is ${why}, then it is not an unavailability`, () => {
        expect(asUnavailability(error)).to.equal(null);
      });
    }

    it('when the cause chain is deeper than four links, then the search stops', () => {
      let error: Error = withCode('refused', 'ECONNREFUSED');
      for (let depth = 0; depth < 5; depth += 1) error = new Error(`wrapper ${depth}`, { cause: error });
      expect(asUnavailability(error)).to.equal(null);
    });
  });

  describe('toAppError', () => {
    for (const code of ['22021', '22008', '22P05', '22003']) {
      it(`when PostgreSQL reports data exception ${code}, then the answer is a 422 that names no value`, () => {
        const error = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00 in SELECT secret'), { code });
        const { status, body } = renderError(toAppError(error));
        expect(status).to.equal(422);
        expect(JSON.stringify(body)).to.not.include('SELECT').and.not.include('0x00');
      });
    }

    for (const [type, status] of [
      ['entity.parse.failed', 400],
      ['entity.too.large', 413],
      ['entity.decode.failed', 400],
      ['encoding.unsupported', 415],
      ['charset.unsupported', 415],
      ['request.aborted', 400],
      ['request.size.invalid', 400],
    ] as const) {
      it(`when body-parser fails with "${type}", then the answer is ${status}`, () => {
        const error = Object.assign(new Error(`qz ${type}`), { type });
        expect(renderError(toAppError(error)).status).to.equal(status);
      });
    }

    it('when body-parser fails in a way we do not know, then it is a 500 keeping the original as cause', () => {
      const original = Object.assign(new Error('stream is not readable'), { type: 'stream.not.readable' });
      const mapped = toAppError(original);
      expect(mapped).to.be.instanceOf(InternalError);
      expect(mapped.cause).to.equal(original);
    });

    it('when the router cannot decode a path parameter (URIError, status 400), then it is a 422 on the path', () => {
      const error = Object.assign(new URIError("Failed to decode param '%zz'"), { status: 400 });
      expect(renderError(toAppError(error))).to.deep.include({ status: 422 });
    });

    it('when a URIError comes from anywhere else (no status), then it stays a 500', () => {
      expect(toAppError(new URIError('URI malformed'))).to.be.instanceOf(InternalError);
    });

    it('when the error is already ours, then it passes through untouched', () => {
      const error = new NotFoundError('Plan');
      expect(toAppError(error)).to.equal(error);
    });

    it('when null is thrown, then it is a 500', () => {
      expect(renderError(toAppError(null))).to.deep.include({ status: 500, body: { detail: 'Internal server error' } });
    });

    it('when the error is not a celebrate error, then fromCelebrateError declines it', () => {
      expect(fromCelebrateError(new Error('x'))).to.equal(null);
    });
  });

  describe('ReadinessProbe', () => {
    const never = () => new Promise<never>(() => {});

    it('when a check hangs, then the component is reported down after the bound instead of hanging the probe', async function () {
      this.timeout(10_000);
      const probe = new ReadinessProbe({
        db: { raw: never } as never,
        redis: { ping: async () => 'PONG' } as never,
      });
      expect(await probe.check()).to.deep.equal({ ready: false, components: { database: 'down', redis: 'up' } });
    });

    it('when a check rejects, then the component is down', async () => {
      const probe = new ReadinessProbe({
        db: { raw: async () => ({ rows: [] }) } as never,
        redis: { ping: async () => Promise.reject(new Error('down')) } as never,
      });
      expect(await probe.check()).to.deep.equal({ ready: false, components: { database: 'up', redis: 'down' } });
    });
  });
});

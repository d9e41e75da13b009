import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { generate } from 'otplib';
import { loadConfig } from '../../../src/config';
import { Totp } from '../../../src/modules/two-factor/totp';
import { testEnv } from '../../support/env';
import vectors from '../../vectors/signatures.json';

describe('two-factor: TOTP codes (RFC 6238)', () => {
  // matchingStep never touches Redis; only accept() (the replay guard) does, covered end to end.
  const totp = new Totp({ redis: {} as Redis, config: loadConfig(testEnv()) });
  const { secret_base32: secret, step, cases } = vectors.totp_rfc6238;

  for (const { unix_time, code } of cases) {
    it(`when the RFC 6238 vector code ${code} is checked at ${unix_time}, then it matches the step of that time`, async () => {
      expect(await totp.matchingStep(secret, code, unix_time)).to.equal(Math.floor(unix_time / step));
    });
  }

  it('when a vector code is checked one step before or after its time, then it still matches (window +-1)', async () => {
    const { unix_time, code } = cases[2]!;
    const own = Math.floor(unix_time / step);
    expect(await totp.matchingStep(secret, code, unix_time - step)).to.equal(own);
    expect(await totp.matchingStep(secret, code, unix_time + step)).to.equal(own);
  });

  it('when a vector code is checked two steps away, then it does not match', async () => {
    const { unix_time, code } = cases[2]!;
    expect(await totp.matchingStep(secret, code, unix_time - 2 * step)).to.equal(null);
    expect(await totp.matchingStep(secret, code, unix_time + 2 * step)).to.equal(null);
  });

  it('when the code is not 6 digits or is another time\'s code, then it does not match', async () => {
    const { unix_time } = cases[3]!;
    expect(await totp.matchingStep(secret, '27903', unix_time)).to.equal(null);
    expect(await totp.matchingStep(secret, '27903a', unix_time)).to.equal(null);
    expect(await totp.matchingStep(secret, ' 279037', unix_time)).to.equal(null);
    expect(await totp.matchingStep(secret, cases[0]!.code, unix_time)).to.equal(null);
  });

  it('when a new secret is made, then otplib codes of it match and its URI names the issuer and account', async () => {
    const fresh = totp.newSecret();
    expect(fresh).to.match(/^[A-Z2-7]{16,}$/);
    const now = Math.floor(Date.now() / 1000);
    expect(await totp.matchingStep(fresh, await generate({ secret: fresh, epoch: now }), now)).to.equal(Math.floor(now / 30));
    const uri = new URL(totp.uri(fresh, 'alice'));
    expect(uri.protocol).to.equal('otpauth:');
    expect(uri.host).to.equal('totp');
    expect(uri.searchParams.get('secret')).to.equal(fresh);
    expect(uri.searchParams.get('issuer')).to.equal('CyberVPN Admin');
    expect(decodeURIComponent(uri.pathname)).to.include('alice');
  });
});

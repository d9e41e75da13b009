import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import {
  checkTelegramLogin,
  dataCheckString,
  telegramAuthorizeUrl,
  telegramLoginHash,
  TelegramLoginVerifier,
} from '../../../src/modules/oauth/telegram-login';
import { systemClock } from '../../../src/shared/clock';
import { testEnv } from '../../support/env';
import vectors from '../../vectors/signatures.json';

describe('oauth: Telegram login widget verification', () => {
  const vector = vectors.telegram_login_widget;
  const signed = { ...vector.fields, hash: vector.hash };
  const authDate = Number(vector.fields.auth_date);
  const config = loadConfig(testEnv());
  const fixedAt = (seconds: number) => ({ now: () => seconds * 1000 });

  it('when the vector fields are given, then the data-check string and the hash are byte-exact', () => {
    expect(config.telegram.botToken).to.equal(vector.bot_token);
    expect(dataCheckString(signed)).to.equal(vector.data_check_string);
    expect(telegramLoginHash(signed, vector.bot_token)).to.equal(vector.hash);
  });

  it('when the vector is checked an hour after its auth_date, then it is accepted with its identity', () => {
    const check = checkTelegramLogin(signed, vector.bot_token, authDate + 3600);
    expect(check).to.deep.equal({ ok: true, identity: { id: '123456789', username: 'alice_admin', authDate } });
  });

  it('when the vector is checked with the real clock, then it is refused as stale', () => {
    const verifier = new TelegramLoginVerifier({ config, clock: systemClock });
    expect(verifier.check(signed)).to.deep.equal({ ok: false, reason: 'stale' });
  });

  it('when the verifier has a clock fixed near auth_date, then it accepts the vector', () => {
    const verifier = new TelegramLoginVerifier({ config, clock: fixedAt(authDate + 60) });
    expect(verifier.check(signed).ok).to.equal(true);
  });

  it('when asked how long a payload stays fresh, then it is the rest of the day, and at least a second', () => {
    expect(new TelegramLoginVerifier({ config, clock: fixedAt(authDate + 60) }).secondsStillFresh(authDate)).to.equal(86_400 - 60);
    expect(new TelegramLoginVerifier({ config, clock: fixedAt(authDate - 120) }).secondsStillFresh(authDate)).to.equal(86_400 + 120);
    expect(new TelegramLoginVerifier({ config, clock: fixedAt(authDate + 86_400) }).secondsStillFresh(authDate)).to.equal(1);
  });

  it('when auth_date is just within or beyond a day old, then the day is the limit', () => {
    expect(checkTelegramLogin(signed, vector.bot_token, authDate + 86_400).ok).to.equal(true);
    expect(checkTelegramLogin(signed, vector.bot_token, authDate + 86_401)).to.deep.equal({ ok: false, reason: 'stale' });
  });

  it('when auth_date lies more than 5 minutes in the future, then it is refused', () => {
    expect(checkTelegramLogin(signed, vector.bot_token, authDate - 300).ok).to.equal(true);
    expect(checkTelegramLogin(signed, vector.bot_token, authDate - 301)).to.deep.equal({ ok: false, reason: 'from_future' });
  });

  it('when any field is changed, added or removed, then the hash no longer matches', () => {
    const at = authDate + 60;
    expect(checkTelegramLogin({ ...signed, username: 'mallory' }, vector.bot_token, at)).to.deep.equal({ ok: false, reason: 'bad_hash' });
    expect(checkTelegramLogin({ ...signed, id: '123456780' }, vector.bot_token, at).ok).to.equal(false);
    expect(checkTelegramLogin({ ...signed, last_name: 'X' }, vector.bot_token, at).ok).to.equal(false);
    const { photo_url: _dropped, ...withoutPhoto } = signed;
    expect(checkTelegramLogin(withoutPhoto, vector.bot_token, at).ok).to.equal(false);
    expect(checkTelegramLogin(signed, `${vector.bot_token}x`, at).ok).to.equal(false);
    expect(checkTelegramLogin({ ...signed, hash: '0'.repeat(64) }, vector.bot_token, at).ok).to.equal(false);
  });

  it('when the widget gives numbers instead of strings, or the hash in upper case, then it is the same check', () => {
    const numeric = { ...signed, id: 123456789, auth_date: authDate, hash: vector.hash.toUpperCase() };
    expect(checkTelegramLogin(numeric, vector.bot_token, authDate + 60).ok).to.equal(true);
  });

  it('when hash, id or auth_date is missing, then it is malformed', () => {
    const { hash: _hash, ...noHash } = signed;
    expect(checkTelegramLogin(noHash, vector.bot_token, authDate)).to.deep.equal({ ok: false, reason: 'malformed' });
    const { id: _id, ...noId } = signed;
    expect(checkTelegramLogin(noId, vector.bot_token, authDate)).to.deep.equal({ ok: false, reason: 'malformed' });
  });

  it('when the authorize URL is built, then it names the bot by id and the frontend origin', () => {
    const url = new URL(telegramAuthorizeUrl(vector.bot_token, 'http://admin.test'));
    expect(url.origin).to.equal('https://oauth.telegram.org');
    expect(url.searchParams.get('bot_id')).to.equal('7000000001');
    expect(url.searchParams.get('origin')).to.equal('http://admin.test');
    expect(url.toString()).not.to.include('AAFake');
  });
});

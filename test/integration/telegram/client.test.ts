import { expect } from 'chai';
import { loadConfig } from '../../../src/config';
import { redact } from '../../../src/infrastructure/logger';
import { TelegramClient } from '../../../src/integrations/telegram/telegram.client';
import { TelegramRefusedError, TelegramRetryAfterError } from '../../../src/integrations/telegram/telegram.errors';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../../src/shared/errors';
import { FakeTelegram } from '../../fakes/telegram';
import { testEnv } from '../../support/env';

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('Telegram client against the fake Bot API', () => {
  let fake: FakeTelegram;
  let client: TelegramClient;
  const clientFor = (env: Record<string, string>) => new TelegramClient({ config: loadConfig(testEnv({ ...fake.env(), OUTBOUND_TIMEOUT: '1s', ...env })) });

  before(async () => {
    fake = await new FakeTelegram().start();
    client = clientFor({});
  });
  beforeEach(() => fake.reset());
  after(async () => {
    await client.close();
    await fake.stop();
  });

  /** No error, nor its logged form, may carry the bot token (it is part of the URL). */
  function expectNoToken(error: Error): void {
    expect(JSON.stringify(redact(error))).not.to.contain(fake.token);
    expect(JSON.stringify(redact(error))).not.to.contain(fake.token.split(':')[1]);
    expect(String(error)).not.to.contain(fake.token);
  }

  it('when a message is sent, then it arrives in HTML mode with the id Telegram gave it', async () => {
    const { messageId } = await client.sendMessage(4242, '<b>Hello</b> &amp; welcome');
    expect(fake.delivered).to.have.length(1);
    expect(fake.delivered[0]).to.include({ chatId: 4242, text: 'Hello & welcome', messageId });
    expect(messageId).to.be.a('number');
  });

  it('when Telegram answers 429, then the error carries exactly its retry_after and the fake keeps refusing until then', async () => {
    fake.floodChat(77, 2);
    const first = await failureOf(client.sendMessage(77, 'hi'));
    expect(first).to.be.instanceOf(TelegramRetryAfterError);
    expect((first as TelegramRetryAfterError).retryAfterSeconds).to.equal(2);
    const second = await failureOf(client.sendMessage(77, 'hi'));
    expect(second).to.be.instanceOf(TelegramRetryAfterError);
    expect(fake.delivered).to.have.length(0);
    // Another chat is not held by this chat's flood control.
    await client.sendMessage(78, 'hi');
    expect(fake.messagesTo(78)).to.have.length(1);
    expectNoToken(first);
  });

  it('when the bot is blocked, the chat unknown, the HTML broken or the text too long, then each is a permanent refusal with Telegram\'s words', async () => {
    fake.blockedChats.add(1);
    fake.unknownChats.add(2);
    const cases: Array<[number, string, string]> = [
      [1, 'hi', 'Forbidden: bot was blocked by the user'],
      [2, 'hi', 'Bad Request: chat not found'],
      [3, '<b>unclosed', "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""],
      [3, '<script>x</script>', "Bad Request: can't parse entities: Unsupported start tag \"script\" at byte offset 0"],
      [3, '<b>x</i>', "Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""],
      [3, 'x'.repeat(4097), 'Bad Request: message is too long'],
    ];
    for (const [chat, text, description] of cases) {
      const error = await failureOf(client.sendMessage(chat, text));
      expect(error, description).to.be.instanceOf(TelegramRefusedError);
      expect((error as TelegramRefusedError).description).to.equal(description);
      expectNoToken(error);
    }
    // 4096 characters once entities are parsed is still allowed.
    await client.sendMessage(3, `${'x'.repeat(4095)}&amp;`);
    expect(fake.delivered).to.have.length(1);
  });

  it('when Telegram fails with 5xx, a reset or a refused connection, then it is a transient failure naming no URL or token', async () => {
    fake.failNext('server_error');
    const serverError = await failureOf(client.sendMessage(5, 'hi'));
    expect(serverError).to.be.instanceOf(UpstreamUnavailableError).and.not.to.be.instanceOf(TelegramRetryAfterError);
    fake.failNext('reset');
    const reset = await failureOf(client.sendMessage(5, 'hi'));
    expect(reset).to.be.instanceOf(UpstreamUnavailableError);
    const refused = await failureOf(clientFor({ TELEGRAM_API_URL: 'http://127.0.0.1:9' }).sendMessage(5, 'hi'));
    expect(refused).to.be.instanceOf(UpstreamUnavailableError);
    expect(refused.message).to.contain('ECONNREFUSED');
    for (const error of [serverError, reset, refused]) expectNoToken(error);
  });

  it('when the token is wrong, then the 401 is a transient upstream failure (our configuration), not a refusal of the message', async () => {
    const wrong = clientFor({ TELEGRAM_BOT_TOKEN: '1:wrong' });
    const error = await failureOf(wrong.sendMessage(5, 'hi'));
    expect(error).to.be.instanceOf(UpstreamUnavailableError).and.not.to.be.instanceOf(TelegramRefusedError);
    expect(error.message).to.contain('401');
    expect(error.message).not.to.contain('1:wrong');
    await wrong.close();
  });

  it('when Telegram answers 2xx with a body we cannot read, then it counts as sent without a message id', async () => {
    fake.failNext('garbage');
    expect(await client.sendMessage(5, 'hi')).to.deep.equal({ messageId: null });
  });

  it('when Telegram does not answer in time, then it is a timeout (the message may have arrived)', async () => {
    fake.failNext('hang');
    const error = await failureOf(client.sendMessage(5, 'hi'));
    expect(error).to.be.instanceOf(UpstreamTimeoutError);
    expectNoToken(error);
  });

  it('when the API URL points past the Bot API (a 404), then it is our configuration: a transient upstream failure', async () => {
    const misplaced = clientFor({ TELEGRAM_API_URL: `${fake.url}/nested` });
    const error = await failureOf(misplaced.sendMessage(5, 'hi'));
    expect(error).to.be.instanceOf(UpstreamUnavailableError).and.not.to.be.instanceOf(TelegramRefusedError);
    expect(error.message).to.contain('404');
    await misplaced.close();
  });

  it('when a 429 comes without retry_after, or the error body is not Telegram\'s envelope, then it is still classified', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (req.url?.includes('huge')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(`{"ok":true,"pad":"${'x'.repeat(1024 * 1024)}"}`);
      } else if (req.url?.includes('flood')) {
        res.writeHead(429, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":429,"description":"Too Many Requests"}');
      } else {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('nope');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const odd = clientFor({ TELEGRAM_API_URL: `http://127.0.0.1:${port}/flood` });
    const flood = await failureOf(odd.sendMessage(1, 'hi'));
    expect((flood as TelegramRetryAfterError).retryAfterSeconds).to.equal(1);
    const plain = clientFor({ TELEGRAM_API_URL: `http://127.0.0.1:${port}` });
    expect(await failureOf(plain.sendMessage(1, 'hi'))).to.be.instanceOf(UpstreamUnavailableError);
    const huge = clientFor({ TELEGRAM_API_URL: `http://127.0.0.1:${port}/huge` });
    expect((await failureOf(huge.sendMessage(1, 'hi'))).message).to.contain('reply too large');
    await Promise.all([odd.close(), plain.close(), huge.close()]);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

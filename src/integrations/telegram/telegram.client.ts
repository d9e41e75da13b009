import { Agent, request } from 'undici';
import type { Config } from '../../config';
import { UpstreamTimeoutError, UpstreamUnavailableError } from '../../shared/errors';
import { sentMessageEnvelopeSchema, telegramFailureSchema, type SentMessage, type TelegramFailure } from './telegram.replies';
import { SERVICE, TelegramRefusedError, TelegramRetryAfterError } from './telegram.errors';

const MAX_REPLY_BYTES = 1024 * 1024;
/** Sockets kept open to the Bot API: the global rate (about 30/s) needs few. */
const POOL_SIZE = 16;
const KEEP_ALIVE_MS = 30_000;
/** Telegram's length limit of a message text (core.telegram.org/bots/api#sendmessage). */
export const TELEGRAM_MAX_TEXT_LENGTH = 4096;

/**
 * The Telegram Bot API as the notification worker uses it: `sendMessage` with HTML parse mode.
 *
 * Every failure leaves classified, and none carries the bot token: it is part of the URL
 * (`/bot<token>/...`), so no URL, and no cause of a network error (undici may name what it was
 * connecting to), goes into an error; only our own sentences and Telegram's description do.
 * - 429 -> TelegramRetryAfterError (wait exactly `retry_after`);
 * - other 4xx (403 blocked, 400 chat not found, can't parse entities, too long) -> TelegramRefusedError, permanent;
 * - 5xx, an unreadable answer or a network failure -> UpstreamUnavailableError, transient;
 * - no answer within OUTBOUND_TIMEOUT -> UpstreamTimeoutError (the message may have been sent).
 * Retries are the caller's (the delivery job), which knows whether sending again is allowed.
 */
export class TelegramClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly agent: Agent;

  constructor({ config }: { config: Config }) {
    this.endpoint = `${config.telegram.apiUrl.replace(/\/+$/, '')}/bot${config.telegram.botToken}`;
    this.timeoutMs = config.outboundTimeoutMs;
    this.agent = new Agent({
      connections: POOL_SIZE,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      connect: { timeout: this.timeoutMs },
    });
  }

  /**
   * The message id Telegram gave the message; null when it answered 2xx with a body we cannot
   * read: it took the message, and sending it again would show it twice.
   */
  async sendMessage(chatId: number, html: string): Promise<{ messageId: number | null }> {
    const text = await this.call('sendMessage', { chat_id: chatId, text: html, parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
    const checked = sentMessageEnvelopeSchema.validate(parse(text));
    return { messageId: checked.error ? null : (checked.value as { result: SentMessage }).result.message_id };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  /** The body of a 2xx answer; every other outcome is thrown, classified. */
  private async call(method: string, body: Record<string, unknown>): Promise<string> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await request(`${this.endpoint}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal,
        dispatcher: this.agent,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      if (signal.aborted) throw new UpstreamTimeoutError(SERVICE);
      throw new UpstreamUnavailableError(SERVICE, `${method} failed (${networkCode(error)})`);
    }
    if (Buffer.byteLength(text) > MAX_REPLY_BYTES) throw new UpstreamUnavailableError(SERVICE, `${method}: reply too large`);
    if (status >= 200 && status < 300) return text;
    throw this.failure(method, status, text);
  }

  private failure(method: string, status: number, text: string): Error {
    const checked = telegramFailureSchema.validate(parse(text));
    const failure = checked.error ? undefined : (checked.value as TelegramFailure);
    if (status === 429) {
      // A 429 without retry_after is not what Telegram sends; one second is its smallest wait.
      return new TelegramRetryAfterError(Math.max(1, failure?.parameters?.retry_after ?? 1));
    }
    if (status >= 500 || !failure) return new UpstreamUnavailableError(SERVICE, `${method} answered HTTP ${status}`);
    // 401/404 mean our token is wrong: configuration, not this message; every message would fail alike.
    if (status === 401 || status === 404) return new UpstreamUnavailableError(SERVICE, `${method} answered HTTP ${status} (bot token refused)`);
    return new TelegramRefusedError(failure.error_code, failure.description.slice(0, 200));
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** ECONNREFUSED, UND_ERR_SOCKET...: what failed, without where. */
function networkCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'network error';
}

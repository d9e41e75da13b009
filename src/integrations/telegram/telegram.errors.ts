import { UpstreamRejectedError, UpstreamUnavailableError } from '../../shared/errors';

export const SERVICE = 'Telegram';

/**
 * Telegram's 429: not a failure, a wait. `retryAfterSeconds` is its `parameters.retry_after`;
 * sending again before then only earns another 429.
 */
export class TelegramRetryAfterError extends UpstreamUnavailableError {
  constructor(readonly retryAfterSeconds: number) {
    super(SERVICE, `flood control, retry after ${retryAfterSeconds} s`);
  }
}

/**
 * A refusal that sending again cannot change: the user blocked the bot (403), the chat does not
 * exist or the text is not valid Telegram HTML (400). `description` is Telegram's own sentence
 * (it names no secret), kept as the row's safe error.
 */
export class TelegramRefusedError extends UpstreamRejectedError {
  constructor(
    readonly errorCode: number,
    readonly description: string,
  ) {
    super(SERVICE, `${errorCode} ${description}`);
  }
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseTelegramHtml } from './telegram-html';

/**
 * A local Telegram Bot API (core.telegram.org/bots/api) for `sendMessage` and `getMe`, speaking its
 * envelope: `{ok: true, result}` or `{ok: false, error_code, description, parameters?}`.
 *
 * - a wrong token: 401 `Unauthorized`; an unknown method: 404 `Not Found`;
 * - a blocked chat: 403 `Forbidden: bot was blocked by the user`; an unknown one: 400 `Bad Request: chat not found`;
 * - HTML it cannot parse (tags outside Telegram's list, unbalanced): 400 `Bad Request: can't parse entities: ...`;
 * - a text longer than 4096 characters once its entities are parsed: 400 `Bad Request: message is too long`;
 * - flood control (`floodChat`, `floodAll`): 429 `Too Many Requests: retry after N` with
 *   `parameters.retry_after` = N, refusing again and again until that moment has passed.
 * Every delivered message is recorded with the time it was accepted, so tests can check rates.
 */
export interface DeliveredMessage {
  chatId: number;
  text: string;
  html: string;
  messageId: number;
  at: number;
}

export type TelegramFailure = 'server_error' | 'reset' | 'garbage' | 'hang';

const MAX_TEXT_LENGTH = 4096;

export class FakeTelegram {
  readonly token: string;
  readonly delivered: DeliveredMessage[] = [];
  /** Every sendMessage call, delivered or refused: chat id and the time it arrived. */
  readonly attempts: { chatId: number; at: number; status: number }[] = [];
  readonly blockedChats = new Set<number>();
  readonly unknownChats = new Set<number>();
  private readonly floodedChats = new Map<number, number>();
  private floodedUntil = 0;
  private readonly failures: TelegramFailure[] = [];
  private nextMessageId = 1;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? '7000000001:AAFakeBotTokenForVectors_abcdefghijk';
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  env(): Record<string, string> {
    return { TELEGRAM_API_URL: this.url, TELEGRAM_BOT_TOKEN: this.token };
  }

  /** The chat refuses with 429 for `seconds` from now, however often it is asked. */
  floodChat(chatId: number, seconds: number): void {
    this.floodedChats.set(chatId, Date.now() + seconds * 1000);
  }

  /** Every chat refuses with 429 for `seconds`: the bot's global limit was hit. */
  floodAll(seconds: number): void {
    this.floodedUntil = Date.now() + seconds * 1000;
  }

  failNext(mode: TelegramFailure, times = 1): void {
    for (let i = 0; i < times; i += 1) this.failures.push(mode);
  }

  messagesTo(chatId: number): DeliveredMessage[] {
    return this.delivered.filter((message) => message.chatId === chatId);
  }

  reset(): void {
    this.delivered.length = 0;
    this.attempts.length = 0;
    this.blockedChats.clear();
    this.unknownChats.clear();
    this.floodedChats.clear();
    this.floodedUntil = 0;
    this.failures.length = 0;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!match) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (match[1] !== this.token) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const params = { ...Object.fromEntries(url.searchParams), ...parseBody(req, Buffer.concat(chunks).toString()) };
    const method = match[2]!.toLowerCase();
    if (method === 'getme') {
      return reply(res, 200, { ok: true, result: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'CyberVPN', username: 'cybervpn_test_bot' } });
    }
    if (method !== 'sendmessage') return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    const failure = this.failures.shift();
    if (failure) return this.fail(res, failure);
    return this.sendMessage(res, params);
  }

  private sendMessage(res: ServerResponse, params: Record<string, unknown>): void {
    const chatId = Number(params.chat_id);
    const refuse = (status: number, description: string, parameters?: Record<string, number>) => {
      this.attempts.push({ chatId, at: Date.now(), status });
      reply(res, status, { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) });
    };
    if (params.chat_id === undefined || params.chat_id === '') return refuse(400, 'Bad Request: chat_id is empty');
    const text = typeof params.text === 'string' ? params.text : '';
    const waitUntil = Math.max(this.floodedUntil, this.floodedChats.get(chatId) ?? 0);
    if (waitUntil > Date.now()) {
      const retryAfter = Math.ceil((waitUntil - Date.now()) / 1000);
      return refuse(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
    }
    if (this.blockedChats.has(chatId)) return refuse(403, 'Forbidden: bot was blocked by the user');
    if (!Number.isSafeInteger(chatId) || this.unknownChats.has(chatId)) return refuse(400, 'Bad Request: chat not found');
    if (text.trim() === '') return refuse(400, 'Bad Request: message text is empty');
    let shown = text;
    if (params.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if (!parsed.ok) return refuse(400, `Bad Request: can't parse entities: ${parsed.error}`);
      shown = parsed.text;
    }
    if (shown.length > MAX_TEXT_LENGTH) return refuse(400, 'Bad Request: message is too long');
    const at = Date.now();
    const messageId = this.nextMessageId++;
    this.attempts.push({ chatId, at, status: 200 });
    this.delivered.push({ chatId, text: shown, html: text, messageId, at });
    reply(res, 200, {
      ok: true,
      result: {
        message_id: messageId,
        from: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'CyberVPN', username: 'cybervpn_test_bot' },
        chat: { id: chatId, type: 'private', first_name: 'User' },
        date: Math.floor(at / 1000),
        text: shown,
      },
    });
  }

  private fail(res: ServerResponse, failure: TelegramFailure): void {
    if (failure === 'server_error') return reply(res, 502, { ok: false, error_code: 502, description: 'Bad Gateway' });
    if (failure === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>nginx</html>');
      return;
    }
    if (failure === 'reset') {
      res.socket?.destroy();
      return;
    }
    this.hanging.add(res);
  }
}

function parseBody(req: IncomingMessage, body: string): Record<string, unknown> {
  if (body === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  try {
    const parsed = JSON.parse(body) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type RequestHandler } from 'express';
import typeIs from 'type-is';
import type { Logger } from '../infrastructure/logger';
import { RequestValidationError, UnsupportedContentEncodingError } from '../shared/errors';
import { API_PREFIX } from './route-table';

/**
 * Bounds on what a client may send, so that no request costs more than a fixed amount to refuse:
 * - request line + headers: MAX_HEADER_BYTES in total (this bounds the URL too) and at most
 *   MAX_HEADERS_COUNT headers, enforced by Node's parser (server.ts); an overflow is answered
 *   431 in our error shape by `answerClientError`;
 * - query string: at most MAX_QUERY_PARAMETERS `name=value` pairs (422 beyond), checked on the raw
 *   string before anything parses it. The 'simple' query parser turns `?a=1&a=2` into an array,
 *   which every Joi query schema refuses where it expects a scalar (422), and this bound keeps such
 *   arrays short whatever the route;
 * - JSON body: BODY_LIMIT (413), JSON only where a route declares a body (415, in mount-routes).
 *   The limit counts decoded bytes, so a small gzip that inflates beyond it is a 413 as well;
 * - Content-Encoding of a body: one of ACCEPTED_CONTENT_ENCODINGS (415 otherwise); a body that is
 *   not what its encoding says is a 400.
 */
export const MAX_HEADER_BYTES = 16 * 1024;
export const MAX_HEADERS_COUNT = 100;
export const MAX_QUERY_PARAMETERS = 64;

const WEBHOOK_PREFIX = `${API_PREFIX}/webhooks/`;

/**
 * gzip and deflate decode in a 32 KiB window and are what HTTP clients send when they compress at
 * all. br and zstd are refused: their decoders may claim a window of megabytes per request (which
 * a few bytes of frame header can ask for), our clients (the admin frontend, the bot, the
 * webhooks' senders) do not compress requests, and zstd would depend on the Node version.
 */
export const ACCEPTED_CONTENT_ENCODINGS = ['identity', 'gzip', 'deflate'] as const;
const ACCEPTED = new Set<string>(ACCEPTED_CONTENT_ENCODINGS);

function contentEncodingOf(req: IncomingMessage): string {
  // body-parser's own reading: absent or empty is identity; a list ("gzip, br") is one unknown token.
  return (req.headers['content-encoding'] || 'identity').trim().toLowerCase();
}

/** Checked before any parser looks at the body, so every body (JSON or not, any route) meets the same rule. */
function refuseUnacceptedEncoding(req: IncomingMessage): void {
  if (typeIs.hasBody(req) && !ACCEPTED.has(contentEncodingOf(req))) {
    throw new UnsupportedContentEncodingError(`Content-Encoding not accepted: ${contentEncodingOf(req).slice(0, 40)}`);
  }
}

/**
 * body-parser gives every failure of its own a `type`, but hands on the decompressor's error
 * (zlib's "incorrect header check", "unexpected end of file") as it is: name it here, where it is
 * known to come from decoding the request body, so the error table can map it.
 */
const DECODE_FAILED = 'entity.decode.failed';
function withEncodingRules(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    refuseUnacceptedEncoding(req);
    parser(req, res, (error?: unknown) => {
      if (error instanceof Error && !('type' in error) && contentEncodingOf(req) !== 'identity') {
        Object.assign(error, { type: DECODE_FAILED });
      }
      next(error);
    });
  };
}

export const boundedQuery: RequestHandler = (req, _res, next) => {
  const url = req.url;
  const start = url.indexOf('?');
  if (start === -1) return next();
  let pairs = 1;
  for (let at = url.indexOf('&', start); at !== -1; at = url.indexOf('&', at + 1)) {
    pairs += 1;
    if (pairs > MAX_QUERY_PARAMETERS) {
      throw new RequestValidationError([
        { loc: ['query'], msg: `at most ${MAX_QUERY_PARAMETERS} query parameters are accepted`, type: 'query.parameters.max' },
      ]);
    }
  }
  next();
};

/**
 * Every request body goes through here: its encoding checked, JSON parsed up to `limit` decoded
 * bytes. Webhook routes get the exact (decoded) bytes instead, whatever the Content-Type, and
 * parse them themselves after the signature check: a signed body that is not JSON is then the
 * route's to log, not a 400 the edge answers before anyone recorded it.
 */
export function jsonBody(limit: string): RequestHandler {
  const json = withEncodingRules(express.json({ limit, type: 'application/json' }));
  const raw = withEncodingRules(express.raw({ limit, type: () => true }));
  return (req, res, next) => {
    if (!req.url.startsWith(WEBHOOK_PREFIX)) return json(req, res, next);
    raw(req, res, (error?: unknown) => {
      req.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      req.body = undefined;
      next(error);
    });
  };
}

/** Node's own choice of status for these parser errors (its default clientError answers), in our shape. */
const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'Request header fields too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, detail: 'Payload too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'Request timeout' },
};
const BAD_REQUEST = { status: 400, detail: 'Bad request' };

/**
 * What Node's HTTP parser refuses never reaches the error handler: answer it here, in the same
 * `{"detail"}` shape, then close (the framing is lost, the connection cannot be reused).
 *
 * A body's framing error (an invalid chunk size, say) comes after the headers, when the request
 * is already in the app, usually waiting for the body parser: it is answered too, with that
 * request's id, unless the app has begun its own response, which must not be corrupted; then the
 * socket is only closed. The app's late writes to the ended socket are discarded by Node.
 */
export function answerClientError(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, detail } = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
    const offeredId = inFlight?.getHeader('X-Request-ID');
    const requestId = typeof offeredId === 'string' ? offeredId : randomUUID();
    logger.debug('request refused by the HTTP parser', { status, error_code: error.code, request_id: requestId });
    const body = JSON.stringify({ detail });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-ID: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}

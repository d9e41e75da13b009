import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { renderError } from '../../http/error-catalog';
import { toAppError } from '../../http/error-handler';

/**
 * Answers a refused upgrade the way the rest of the API answers: the error table's status and
 * `{"detail": ...}` body, as a plain HTTP response on the raw socket, which is then closed.
 */
export function refuseUpgrade(socket: Duplex, error: unknown): number {
  const { status, body, headers } = renderError(toAppError(error));
  const json = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(json)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  if (socket.writable) socket.end(`${lines.join('\r\n')}\r\n\r\n${json}`);
  else socket.destroy();
  return status;
}

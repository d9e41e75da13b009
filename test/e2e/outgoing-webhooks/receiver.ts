import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Checked from the documented scheme alone, not with the service's code. */
  signatureValid: boolean;
}

/**
 * An operator's receiver, written from README's description of the scheme:
 * HMAC-SHA256(secret, "<X-CyberVPN-Timestamp>.<raw body>") as hex after "sha256=".
 */
export class Receiver {
  readonly received: Received[] = [];
  secret = '';
  /** Statuses to answer with, in turn; 200 once they run out. */
  answers: number[] = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const expected = `sha256=${createHmac('sha256', this.secret).update(`${String(req.headers['x-cybervpn-timestamp'])}.${body}`).digest('hex')}`;
      const given = String(req.headers['x-cybervpn-signature'] ?? '');
      const signatureValid = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      this.received.push({ headers: req.headers, body, signatureValid });
      res.statusCode = this.answers.shift() ?? 200;
      res.end('receiver body that must never be stored');
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** Through a name, so the delivery goes through DNS resolution like a real one. */
  get url(): string {
    return `http://localhost:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

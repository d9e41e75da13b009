import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import type { Config } from '../../config';
import { isPublicAddress } from './address-policy';

/** The receiver's address is one we do not deliver to: permanent, retrying cannot change it. */
export class ForbiddenTargetError extends Error {
  override readonly name = 'ForbiddenTargetError';
}

export interface DeliveryAttempt {
  url: string;
  headers: Record<string, string>;
  body: string;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Resolves like dns.lookup, then refuses the connection when any address is not public: the
 * check happens on the addresses the socket will actually use.
 */
function guardedLookup(hostname: string, options: LookupAllOptions | { all?: false }, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    if (addresses.length === 0 || !addresses.every((entry) => isPublicAddress(entry.address))) {
      return callback(Object.assign(new ForbiddenTargetError('receiver resolves to a non-public address'), { code: 'EFORBIDDENTARGET' }), []);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

/**
 * Sends outgoing webhooks. Redirects are not followed (a 3xx is an answer, not a new target),
 * the answer's body is read and dropped, every call is bounded by OUTBOUND_TIMEOUT. Outside
 * production, private targets may be allowed for local receivers (OUTGOING_WEBHOOK_ALLOW_PRIVATE).
 */
export class WebhookSender {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly allowPrivate: boolean;

  constructor({ config }: { config: Config }) {
    this.timeoutMs = config.outboundTimeoutMs;
    this.allowPrivate = config.outgoingWebhooks.allowPrivateTargets;
    this.agent = new Agent({
      connections: 8,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      ...(this.allowPrivate ? {} : { connect: { lookup: guardedLookup as never } }),
    });
  }

  /** The receiver's HTTP status; throws ForbiddenTargetError, or the network error of the attempt. */
  async send(attempt: DeliveryAttempt): Promise<number> {
    const target = new URL(attempt.url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An address written in the URL is never looked up, so the connect-time check cannot see it.
    if (!this.allowPrivate && isIP(host) && !isPublicAddress(host)) throw new ForbiddenTargetError('receiver is a non-public address');
    try {
      const answer = await request(target, {
        method: 'POST',
        dispatcher: this.agent,
        headers: attempt.headers,
        body: attempt.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await answer.body.dump();
      return answer.statusCode;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause ?? error;
      if (cause instanceof ForbiddenTargetError || (error as { code?: string }).code === 'EFORBIDDENTARGET') throw new ForbiddenTargetError((cause as Error).message);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

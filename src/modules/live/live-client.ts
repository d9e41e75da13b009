import Joi from 'joi';
import type { RawData, WebSocket } from 'ws';
import type { Role } from '../../shared/permissions';
import { isLiveTopic, topicsAllowed, type LiveTopic } from './live-topics';
import type { LivePrincipalRef } from './ws-tickets';

/** Close codes of the monitoring socket (RFC 6455 section 7.4, and 4000-4999 for our own). */
export const CLOSE_CODES = {
  goingAway: 1001,
  policyViolation: 1008,
  /** "Try again later": the client fell behind by more than WS_MAX_BUFFERED_BYTES. */
  tryAgainLater: 1013,
  /** The admin was deactivated, the session revoked or the API key revoked. */
  accessRevoked: 4001,
} as const;

/** Frames that are not a valid message are answered with an error; this many close the socket. */
export const MAX_MALFORMED_FRAMES = 3;

const subscribeMessage = Joi.object({
  type: Joi.string().valid('subscribe').required(),
  topics: Joi.array().items(Joi.string().max(64)).max(20).required(),
}).required();

/**
 * One monitoring socket: its principal (re-checked by the gateway), the topics it subscribed to,
 * and the bound on what may wait unsent for it. Everything the client sends is answered, never
 * thrown: unknown and forbidden topics are refused in the answer, malformed frames get an error.
 */
export class LiveClient {
  readonly topics = new Set<LiveTopic>();
  /** Cleared at each ping, set by the pong: a peer still false at the next ping is gone. */
  alive = true;
  private malformedFrames = 0;

  constructor(
    readonly socket: WebSocket,
    readonly ref: LivePrincipalRef,
    readonly key: string,
    private role: Role,
    private readonly maxBufferedBytes: number,
    private readonly onSlow: (client: LiveClient) => void,
  ) {}

  handleFrame(raw: RawData, isBinary: boolean): void {
    const message = isBinary ? undefined : parseJson(raw.toString());
    const { error, value } = subscribeMessage.validate(message);
    if (error) {
      this.malformedFrames += 1;
      this.send({ type: 'error', detail: 'Malformed message: expected {"type":"subscribe","topics":[...]}' });
      if (this.malformedFrames >= MAX_MALFORMED_FRAMES) this.close(CLOSE_CODES.policyViolation, 'Too many malformed messages');
      return;
    }
    this.subscribe((value as { topics: string[] }).topics);
  }

  /** A role changed since the socket opened: topics it no longer allows stop at once. */
  changeRole(role: Role): void {
    this.role = role;
    const allowed = new Set(topicsAllowed(role));
    for (const topic of this.topics) if (!allowed.has(topic)) this.topics.delete(topic);
  }

  /** Sends a prepared event frame if subscribed; a client too far behind is dropped instead. */
  deliver(topic: LiveTopic, frame: string): void {
    if (!this.topics.has(topic) || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.onSlow(this);
      this.close(CLOSE_CODES.tryAgainLater, 'Client too slow');
      return;
    }
    this.socket.send(frame);
  }

  close(code: number, reason: string): void {
    this.topics.clear();
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(code, reason);
  }

  private subscribe(requested: string[]): void {
    const allowed = topicsAllowed(this.role);
    const refused: { topic: string; reason: 'unknown' | 'forbidden' }[] = [];
    for (const topic of new Set(requested)) {
      if (!isLiveTopic(topic)) refused.push({ topic, reason: 'unknown' });
      else if (!allowed.includes(topic)) refused.push({ topic, reason: 'forbidden' });
      else this.topics.add(topic);
    }
    this.send({ type: 'available_topics', topics: allowed, subscribed: [...this.topics], refused });
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

import type { Config } from '../../config';
import type { Logger } from '../../infrastructure/logger';
import type { Metrics } from '../../infrastructure/metrics';
import { InvalidSignatureError, MalformedJsonError } from '../../shared/errors';
import { classifyWebhook, type WebhookSource } from './webhook-events';
import type { WebhookIntakeBatches } from './webhook-intake-batches';
import type { WebhookJobs } from './webhook-jobs';
import type { WebhookLogRepository } from './webhook-logs.repository';
import { isValidCryptoPaySignature, isValidRemnawaveSignature } from './webhook-signatures';

/**
 * Forged requests are recorded, but each costs a bounded row whatever its size: the first bytes
 * (enough to see what was tried) and the length, never the whole body, so a flood of large forged
 * bodies cannot fill the table. Their count is the `webhooks_invalid_signature_total` metric.
 */
const INVALID_EXCERPT_CHARS = 256;
const MAX_SIGNATURE_CHARS = 128;

/** By code points, so a cut never leaves half a surrogate pair (which jsonb refuses). */
const excerptOf = (rawBody: Buffer): string => Array.from(rawBody.subarray(0, INVALID_EXCERPT_CHARS * 4).toString('utf8')).slice(0, INVALID_EXCERPT_CHARS).join('');
const clip = (value: string | undefined, max: number): string | null => (value === undefined ? null : value.slice(0, max));

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Deeper than either sender nests its updates by far. JSON.parse takes any depth, but
 * JSON.stringify (on the way to the row) and jsonb both give up a few thousand levels down, which
 * would make a signed body a 500.
 */
const MAX_BODY_DEPTH = 64;

/** Whether a parsed JSON value nests objects or arrays deeper than `levels`; never walks deeper itself. */
function nestsDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  return Object.values(value).some((child) => nestsDeeperThan(child, levels - 1));
}

/** Whether every string (and key) in a parsed JSON value is well-formed Unicode. */
function isWellFormedText(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return value.every(isWellFormedText);
  if (value !== null && typeof value === 'object') return Object.entries(value).every(([key, child]) => !LONE_SURROGATE.test(key) && isWellFormedText(child));
  return true;
}

/** Takes one webhook delivery: verify, record (committed first), queue, answer. */
export class WebhookIntakeService {
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly webhookLogRepository: WebhookLogRepository;
  private readonly webhookJobs: WebhookJobs;
  private readonly webhookIntakeBatches: WebhookIntakeBatches;

  constructor(deps: {
    config: Config;
    logger: Logger;
    metrics: Metrics;
    webhookLogRepository: WebhookLogRepository;
    webhookJobs: WebhookJobs;
    webhookIntakeBatches: WebhookIntakeBatches;
  }) {
    this.config = deps.config;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.webhookLogRepository = deps.webhookLogRepository;
    this.webhookJobs = deps.webhookJobs;
    this.webhookIntakeBatches = deps.webhookIntakeBatches;
  }

  /** Resolves once the delivery is recorded (and queued when Redis allows); throws 401 or 400 otherwise. */
  async receive(source: WebhookSource, rawBody: Buffer, signature: string | undefined): Promise<void> {
    if (!this.isSigned(source, rawBody, signature)) {
      this.metrics.webhooksInvalidSignature.inc({ source });
      await this.webhookLogRepository.insert({
        source,
        event_type: null,
        dedupe_key: null,
        payload: { excerpt: excerptOf(rawBody), bytes: rawBody.length },
        signature: clip(signature, MAX_SIGNATURE_CHARS),
        is_valid: false,
        status: 'ignored',
        error_message: 'Invalid signature',
      });
      throw new InvalidSignatureError(`${source} webhook with a missing or wrong signature`);
    }

    let body: unknown;
    try {
      const text = rawBody.toString('utf8');
      body = JSON.parse(text);
      // First: the surrogate walk below recurses as deep as the body goes.
      if (nestsDeeperThan(body, MAX_BODY_DEPTH)) throw new Error('nested too deeply');
      // JSON may escape half a surrogate pair ("\ud800"), which PostgreSQL's jsonb refuses to store.
      // Only an escape can make one (invalid UTF-8 bytes decode to U+FFFD), so the walk is skipped
      // for the bodies (nearly all) without a surrogate escape in their text.
      if (SURROGATE_ESCAPE.test(text) && !isWellFormedText(body)) throw new Error('lone surrogate');
    } catch {
      await this.webhookLogRepository.insert({
        source,
        event_type: null,
        dedupe_key: null,
        payload: null,
        signature: clip(signature, MAX_SIGNATURE_CHARS),
        is_valid: true,
        status: 'ignored',
        error_message: 'Malformed JSON body',
      });
      throw new MalformedJsonError(`${source} webhook body is not JSON`);
    }

    const event = classifyWebhook(source, body);
    if (!event.handled) {
      await this.webhookLogRepository.insert({
        source,
        event_type: event.eventType,
        dedupe_key: null,
        payload: body,
        signature: clip(signature, MAX_SIGNATURE_CHARS),
        is_valid: true,
        status: 'ignored',
        error_message: 'Event not handled',
      });
      return;
    }

    // Recorded as `queued` in the INSERT itself: the job is added next, and a mark after it was one
    // more statement per delivery. If the process dies between the two, the row says `queued`
    // without a job, which is the case the sweep already repairs (a `queued` row older than
    // WEBHOOK_SWEEP_MIN_AGE whose job does not exist is queued again).
    const { inserted, log } = await this.webhookIntakeBatches.insertOnce(
      {
        source,
        event_type: event.eventType,
        dedupe_key: event.dedupeKey,
        payload: body,
        signature: clip(signature, MAX_SIGNATURE_CHARS),
        is_valid: true,
        status: 'queued',
      },
      rawBody.length,
    );
    // A repeated delivery adds nothing, unless the first one never reached the queue.
    if (!inserted && log.status !== 'received') return;
    await this.enqueue({ id: log.id, source, dedupe_key: event.dedupeKey }, inserted);
  }

  private isSigned(source: WebhookSource, rawBody: Buffer, signature: string | undefined): boolean {
    return source === 'cryptobot'
      ? isValidCryptoPaySignature(rawBody, signature, this.config.cryptobot.token)
      : isValidRemnawaveSignature(rawBody, signature, this.config.remnawave.webhookSecret);
  }

  /**
   * The committed row is the record: without Redis the delivery is still accepted, its row says
   * `received` (not in the queue) and the sweep queues it.
   */
  private async enqueue(log: { id: string; source: WebhookSource; dedupe_key: string }, inserted: boolean): Promise<void> {
    try {
      await this.webhookJobs.enqueue(log);
    } catch (error) {
      this.logger.warn('webhook recorded but not queued; the sweep will queue it', { webhook_log_id: log.id, error: (error as Error).message });
      // Left `queued` if this fails too: the sweep finds the job missing all the same.
      if (inserted) await this.webhookLogRepository.transition(log.id, ['queued'], 'received').catch(() => undefined);
      return;
    }
    // A redelivery of a row that had missed the queue; the worker may have taken its job already,
    // so only a row still `received` becomes `queued`.
    if (!inserted) await this.webhookLogRepository.transition(log.id, ['received'], 'queued');
  }
}

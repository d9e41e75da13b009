import { createHash } from 'node:crypto';
import { IdempotencyInFlightError, IdempotencyKeyReusedError } from '../../shared/errors';
import type { IdempotencyRepository, StoredAnswer } from './idempotency.repository';

/**
 * `Idempotency-Key` for requests that create something outside (an invoice): the first request
 * with a key claims it in PostgreSQL (the unique index decides between concurrent ones), does the
 * work and stores its answer; a retry with the same key and request gets that answer again and
 * does nothing. A request arriving while the first still runs waits for its answer (so ten
 * concurrent retries all get the one answer), 409 when the wait runs out.
 *
 * Only a success is kept. A failure created nothing payable (the payment row is `failed`), so its
 * claim is released and a retry with the same key runs anew: that is what the caller retries for.
 */
export interface IdempotentCall {
  /** `admin:<uuid>` or `api_key:<uuid>`: keys are per caller. */
  caller: string;
  key: string;
  /** What the request asks, whatever its JSON spelling: a different one under the same key is a 422. */
  request: string;
  /** How long a second request waits for the first one's answer. */
  waitMs: number;
}

const POLL_MS = 50;
/** A claim still unanswered after this long belongs to a request whose process died. */
const ABANDONED_AFTER_MS = 10 * 60_000;

export interface Answer extends StoredAnswer {
  paymentId: string;
}

export const fingerprintOf = (request: string): string => createHash('sha256').update(request).digest('hex');

export async function runIdempotently(repository: IdempotencyRepository, call: IdempotentCall, work: () => Promise<Answer>): Promise<StoredAnswer> {
  const fingerprint = fingerprintOf(call.request);
  const deadline = Date.now() + call.waitMs;
  for (;;) {
    const claim = await repository.claim(call.caller, call.key, fingerprint);
    if (claim) return runClaimed(repository, claim, work);
    const answer = await awaitAnswer(repository, call, fingerprint, deadline);
    if (answer) return answer;
    // The first request failed and released the key, or died long ago: claim it ourselves.
  }
}

async function runClaimed(repository: IdempotencyRepository, claim: string, work: () => Promise<Answer>): Promise<StoredAnswer> {
  let answer: Answer;
  try {
    answer = await work();
  } catch (error) {
    await repository.release(claim);
    throw error;
  }
  await repository.complete(claim, answer.paymentId, answer);
  return { status: answer.status, body: answer.body };
}

/** The stored answer of the key's first request, or undefined once the key is free to claim again. */
async function awaitAnswer(repository: IdempotencyRepository, call: IdempotentCall, fingerprint: string, deadline: number): Promise<StoredAnswer | undefined> {
  for (;;) {
    const record = await repository.find(call.caller, call.key);
    if (!record) return undefined;
    if (record.request_fingerprint !== fingerprint) throw new IdempotencyKeyReusedError('idempotency key reused with another request');
    if (record.response_status !== null) return { status: record.response_status, body: record.response_body };
    if (await repository.releaseAbandoned(record.id, new Date(Date.now() - ABANDONED_AFTER_MS))) return undefined;
    if (Date.now() >= deadline) throw new IdempotencyInFlightError('the first request with this idempotency key is still running');
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

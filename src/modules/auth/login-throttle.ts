import type { Config } from '../../config';
import { RateLimitedError, ServiceUnavailableError } from '../../shared/errors';
import { deriveKey, keyedFingerprint } from '../../shared/secrets';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import { asUnavailability } from '../../infrastructure/unavailability';
import { normaliseLogin } from '../admins/admins.repository';

/**
 * Brute-force guard for everything that checks a secret. Attempts are counted per subject:
 * - the submitted login string (normalised), whether or not such an account exists, so a
 *   lock-out says nothing about which accounts exist;
 * - the account, once one is known (a login that matched one, second factor, change-password, 2FA
 *   management), so spelling the login another way (email, case) buys no extra attempts.
 * After MAX_FAILURES within the window a subject answers 429 for a cool-down that doubles with
 * each lock-out (up to an hour); a success clears it. Kept in Redis, shared by every API
 * process; when Redis is down this fails closed (503), like the auth rate limiter.
 *
 * The only way in is `guard(subjects, check)`: it reserves one attempt on every subject in one
 * atomic step BEFORE the secret is checked (refusing when a subject is locked, or when its
 * failures plus the attempts still in flight already reach the limit), runs the check, and
 * settles the reservation from the check's verdict. A burst of parallel guesses therefore gets
 * MAX_FAILURES checks, not one per request. A reservation that is never settled (the process died
 * mid-check) stays counted as a failure until the window ends: fail closed.
 *
 * An attempt that finds the budget taken by attempts still being checked (no lock yet) waits for
 * them, up to MAX_WAIT_MS, instead of being refused: the owner signing in from many tabs or a
 * script at once is served in turn (each success clears the count), while a burst of wrong guesses
 * ends in the lock-out and every waiter then gets the 429. Waiters of this process are woken when
 * an attempt on their subject settles here; those of other processes notice within POLL_MS.
 */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_SECONDS = 15 * 60;
const FIRST_COOL_DOWN_SECONDS = 60;
const LONGEST_COOL_DOWN_SECONDS = 3600;
const LOCK_MEMORY_SECONDS = 24 * 3600;
const MAX_WAIT_MS = 30_000;
const POLL_MS = 250;

/** Redis keys of one subject, in this order in every script: attempts (failures + in flight), level (lock-outs so far), lock. */
const KEY_KINDS = ['attempts', 'level', 'lock'] as const;
const LIMITS = [MAX_FAILURES, FAILURE_WINDOW_SECONDS, FIRST_COOL_DOWN_SECONDS, LONGEST_COOL_DOWN_SECONDS, LOCK_MEMORY_SECONDS];

// Answers 0 and takes one attempt on every subject; or, taking none, the seconds a locked subject
// stays locked; or -1 when no subject is locked but one has its whole budget taken by failures and
// attempts still being checked: the caller waits for those to settle and asks again.
const RESERVE = `
local max = tonumber(ARGV[1])
local wait, busy = 0, false
for i = 1, #KEYS, 3 do
  local ttl = redis.call('TTL', KEYS[i + 2])
  if ttl > 0 then
    wait = math.max(wait, ttl)
  elseif tonumber(redis.call('GET', KEYS[i]) or '0') >= max then
    busy = true
  end
end
if wait > 0 then return wait end
if busy then return -1 end
for i = 1, #KEYS, 3 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[2]), 'NX')
end
return 0`;

// The attempt stays counted as a failure; a subject whose budget is spent becomes locked, once per
// round (the lock-out resets the count, so the late failures of the same burst do not lock again).
const FAIL = `
local max, first, longest, memory = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
for i = 1, #KEYS, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= max then
    local level = redis.call('INCR', KEYS[i + 1])
    redis.call('EXPIRE', KEYS[i + 1], memory)
    redis.call('SET', KEYS[i + 2], '1', 'EX', math.min(first * 2 ^ (level - 1), longest))
    redis.call('DEL', KEYS[i])
  end
end
return 0`;

// Not a failure: the attempt is given back (never below zero, as a lock-out may have reset the count).
const HAND_BACK = `
for i = 1, #KEYS, 3 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0`;

export type ThrottleSubject = string & { readonly __throttleSubject: true };
export const accountSubject = (adminId: string) => `account:${adminId}` as ThrottleSubject;

/**
 * What a guarded check found, which decides what happens to the reserved attempt:
 * - proven: the owner's whole proof (password, and the second factor when it is on): clears the subjects;
 * - partlyProven: a right secret that is not the whole proof (the password of an account with 2FA,
 *   a code without the password): the attempt is handed back, the count stays as it was, so the
 *   right half of a proof cannot be used to wipe out guesses at the other half;
 * - wrong: a wrong secret: the attempt stays a failure; the error is thrown, or (wrongAnswer) the
 *   value returned, for routes that answer a failed check with 200 `{valid: false}`;
 * - notChecked: refused before any secret was compared (a spent tfa token): handed back, error thrown.
 * A check that throws keeps its attempt as a failure (it may have compared the secret first),
 * unless what it threw says a dependency was unavailable: then no secret was judged.
 */
export type Verdict<T> = { settle: 'clear' | 'hand_back' | 'fail'; value: T } | { settle: 'hand_back' | 'fail'; error: Error };
export const verdict = {
  proven: <T>(value: T): Verdict<T> => ({ settle: 'clear', value }),
  partlyProven: <T>(value: T): Verdict<T> => ({ settle: 'hand_back', value }),
  wrong: (error: Error): Verdict<never> => ({ settle: 'fail', error }),
  wrongAnswer: <T>(value: T): Verdict<T> => ({ settle: 'fail', value }),
  notChecked: (error: Error): Verdict<never> => ({ settle: 'hand_back', error }),
};

export class LoginThrottle {
  private readonly redis: RedisClient;
  private readonly config: Config;
  private readonly fingerprintKey: Buffer;

  constructor({ redis, config }: { redis: RedisClient; config: Config }) {
    this.redis = redis;
    this.config = config;
    this.fingerprintKey = deriveKey(config.dataEncryptionKey, 'login-fingerprint');
  }

  /**
   * A submitted login as matched against accounts (normalised), under a keyed HMAC: what lock-out
   * keys and audit entries keep of it. People type passwords into login fields; a plain SHA-256 of
   * one is found by a dictionary, this is not without the server's key.
   */
  fingerprint(login: string): string {
    return keyedFingerprint(this.fingerprintKey, normaliseLogin(login));
  }

  loginSubject(login: string): ThrottleSubject {
    return `login:${this.fingerprint(login)}` as ThrottleSubject;
  }

  /** Reserves one attempt on every subject (429 + Retry-After if any is locked), runs `check`, settles by its verdict. */
  async guard<T>(subjects: readonly ThrottleSubject[], check: () => Promise<Verdict<T>>): Promise<T> {
    const keys = subjects.flatMap((subject) => KEY_KINDS.map((kind) => redisKey(this.config, 'throttle', kind, subject)));
    await this.reserve(subjects, keys);

    let outcome: Verdict<T>;
    try {
      outcome = await check();
    } catch (error) {
      const unavailable = error instanceof ServiceUnavailableError || asUnavailability(error) !== null;
      // The check's own error is what the client must see; a second failure while settling must not replace it.
      await this.settle(unavailable ? 'hand_back' : 'fail', subjects, keys).catch(() => undefined);
      throw error;
    }
    await this.settle(outcome.settle, subjects, keys);
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  private async reserve(subjects: readonly ThrottleSubject[], keys: string[]): Promise<void> {
    const giveUpAt = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const answer = Number(await this.redis.eval(RESERVE, keys.length, ...keys, ...LIMITS));
      if (answer === 0) return;
      if (answer > 0) throw new RateLimitedError(answer);
      const left = giveUpAt - Date.now();
      if (left <= 0) throw new RateLimitedError(Math.ceil(POLL_MS / 1000));
      await this.settledOrTimeout(subjects, Math.min(POLL_MS, left));
    }
  }

  private async settle(settle: Verdict<unknown>['settle'], subjects: readonly ThrottleSubject[], keys: string[]): Promise<void> {
    try {
      if (settle === 'clear') await this.redis.del(...keys);
      else await this.redis.eval(settle === 'fail' ? FAIL : HAND_BACK, keys.length, ...keys, ...LIMITS);
    } finally {
      // One attempt freed (a clear frees the whole budget): wake that many waiters, oldest first.
      for (const subject of subjects) this.wake(subject, settle === 'clear' ? MAX_FAILURES : 1);
    }
  }

  private readonly waiters = new Map<ThrottleSubject, Array<() => void>>();

  private settledOrTimeout(subjects: readonly ThrottleSubject[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = (): void => {
        clearTimeout(timer);
        for (const subject of subjects) {
          const queue = this.waiters.get(subject);
          const index = queue?.indexOf(done) ?? -1;
          if (queue && index >= 0) queue.splice(index, 1);
          if (queue?.length === 0) this.waiters.delete(subject);
        }
        resolve();
      };
      timer = setTimeout(done, ms);
      for (const subject of subjects) {
        const queue = this.waiters.get(subject) ?? [];
        queue.push(done);
        this.waiters.set(subject, queue);
      }
    });
  }

  private wake(subject: ThrottleSubject, count: number): void {
    for (const waiter of this.waiters.get(subject)?.slice(0, count) ?? []) waiter();
  }
}

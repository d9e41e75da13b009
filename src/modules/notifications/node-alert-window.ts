import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Config } from '../../config';
import type { JobQueues } from '../../infrastructure/queues/job-queues';
import { jobId } from '../../infrastructure/queues/queue-names';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import type { Clock } from '../../shared/clock';
import type { OutgoingWebhookEvents } from '../outgoing-webhooks/outgoing-webhook-events';
import type { NotificationOutbox } from './notification-outbox';
import { templates, type NodeAlertSummary } from './templates';

export type NodeState = 'down' | 'up';

export const NODE_ALERTS_JOB = 'node-alerts';

/** A window's hash outlives any retry of its job; only a window whose job was never added is left to expire. */
const WINDOW_TTL_MS = 86_400_000;

/**
 * Opens the window (the pointer, which expires when the window ends) unless one is open, then
 * folds the event into the window's hash: per node `first|last|flapped`, flapped once the node
 * was seen in a state other than its first. One script, so no event falls between the pointer
 * and the hash of a window that is being closed.
 */
const RECORD_SCRIPT = `
local id = redis.call('GET', KEYS[1])
if not id then
  id = ARGV[1]
  redis.call('SET', KEYS[1], id, 'PX', ARGV[2])
end
local hash = ARGV[5] .. id
local previous = redis.call('HGET', hash, ARGV[3])
local entry
if previous then
  local first, _, flapped = string.match(previous, '^(%a+)|(%a+)|(%d)$')
  if first ~= ARGV[4] then flapped = '1' end
  entry = first .. '|' .. ARGV[4] .. '|' .. flapped
else
  entry = ARGV[4] .. '|' .. ARGV[4] .. '|0'
end
redis.call('HSET', hash, ARGV[3], entry)
redis.call('PEXPIRE', hash, ARGV[6])
return id
`;

/** Closes the window (if it is still the open one) and reads it: after this no event joins it. */
const CLOSE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return redis.call('HGETALL', KEYS[2])
`;

/**
 * Node alerts coalesced over NODE_ALERT_WINDOW across every worker process: the window lives in
 * Redis, opened by its first event; one delayed job per window (its id derived from the window's,
 * so every process adding it adds it once) sends ONE admin message when the window ends.
 * The window id starts with its opening time, from which every process computes the same delay.
 */
export class NodeAlertWindow {
  private readonly redis: RedisClient;
  private readonly jobQueues: JobQueues;
  private readonly notificationOutbox: NotificationOutbox;
  private readonly clock: Clock;
  private readonly db: Knex;
  private readonly outgoingWebhookEvents: OutgoingWebhookEvents;
  private readonly windowMs: number;
  private readonly pointerKey: string;
  private readonly hashPrefix: string;

  constructor(deps: { redis: RedisClient; jobQueues: JobQueues; notificationOutbox: NotificationOutbox; clock: Clock; config: Config; db: Knex; outgoingWebhookEvents: OutgoingWebhookEvents }) {
    this.db = deps.db;
    this.outgoingWebhookEvents = deps.outgoingWebhookEvents;
    this.redis = deps.redis;
    this.jobQueues = deps.jobQueues;
    this.notificationOutbox = deps.notificationOutbox;
    this.clock = deps.clock;
    this.windowMs = deps.config.notifications.nodeAlertWindowMs;
    // redisKey's feature tag puts both keys on one Cluster slot, as the scripts need.
    this.pointerKey = redisKey(deps.config, 'node-alerts', 'open');
    this.hashPrefix = redisKey(deps.config, 'node-alerts', 'window', '');
  }

  /** Records a node's new state in the open window; throws when Redis cannot take it (the caller then alerts directly). */
  async record(nodeName: string, state: NodeState): Promise<string> {
    const candidate = `${this.clock.now()}-${randomBytes(6).toString('hex')}`;
    const windowId = (await this.redis.eval(RECORD_SCRIPT, 1, this.pointerKey, candidate, this.windowMs, nodeName, state, this.hashPrefix, WINDOW_TTL_MS)) as string;
    // Added by every event, not only the opening one: an add lost after the window opened is made good by the next event.
    const endsAt = Number(windowId.split('-')[0]) + this.windowMs;
    await this.jobQueues.add(
      'notifications',
      NODE_ALERTS_JOB,
      { windowId },
      { jobId: jobId(NODE_ALERTS_JOB, windowId), delay: Math.max(0, endsAt - this.clock.now()), attempts: 5, backoff: { type: 'exponential', delay: 1000 } },
    );
    return windowId;
  }

  /**
   * The window's job: closes it, sends its one message (deduplicated on the window, so a retry
   * sends nothing twice), then drops the hash. Returns the notification id, or null for an empty window.
   */
  async flush(windowId: string): Promise<string | null> {
    const flat = (await this.redis.eval(CLOSE_SCRIPT, 2, this.pointerKey, this.hashPrefix + windowId, windowId)) as string[];
    const summary = summarise(flat);
    if (!summary) return null;
    const id = await this.notificationOutbox.send({ target: { toAdmins: true }, message: templates.nodeAlerts(summary), dedupeKey: `node-alerts:${windowId}` });
    await this.emitOutgoing(summary, windowId);
    await this.redis.del(this.hashPrefix + windowId);
    return id;
  }

  /**
   * node.down / node.up for the operator's systems, coalesced like the message: one per node and
   * window, in the state it ended in (`flapped` when it was in both). At least once: a job retried
   * after this and before the hash is dropped emits again, as the deliveries' contract allows.
   */
  private async emitOutgoing(summary: NodeAlertSummary, windowId: string): Promise<void> {
    const changes = [
      ...summary.down.map((name) => ({ name, now: 'down' as const, flapped: false })),
      ...summary.up.map((name) => ({ name, now: 'up' as const, flapped: false })),
      ...summary.flapped.map(({ name, now }) => ({ name, now, flapped: true })),
    ];
    const ids = await this.db.transaction(async (trx) => {
      const all: string[] = [];
      for (const { name, now, flapped } of changes) all.push(...(await this.outgoingWebhookEvents.record(trx, now === 'down' ? 'node.down' : 'node.up', { name, flapped, window_id: windowId })));
      return all;
    });
    await this.outgoingWebhookEvents.dispatch(ids);
  }
}

/** HGETALL's `[node, "first|last|flapped", ...]` as the message's three lists (sorted, for a stable text). */
export function summarise(flat: readonly string[]): NodeAlertSummary | null {
  if (flat.length === 0) return null;
  const summary = { down: [] as string[], up: [] as string[], flapped: [] as { name: string; now: NodeState }[] };
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const [, last, flapped] = flat[i + 1]!.split('|') as [NodeState, NodeState, string];
    if (flapped === '1') summary.flapped.push({ name, now: last });
    else summary[last].push(name);
  }
  summary.down.sort();
  summary.up.sort();
  summary.flapped.sort((a, b) => a.name.localeCompare(b.name));
  return summary;
}

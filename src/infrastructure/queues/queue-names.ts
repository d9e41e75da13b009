import type { Config } from '../../config';

/** The BullMQ queues of the system; a job carries only the id of its PostgreSQL record. */
export const QUEUE_NAMES = ['webhooks', 'notifications', 'outgoing-webhooks'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/**
 * BullMQ writes `<prefix>:<queue>:<suffix>` keys. The `{queues}` hash tag puts every queue key on
 * one Redis Cluster slot, which BullMQ's multi-key scripts need; the configured key prefix in
 * front keeps deployments (and test runs) sharing one Redis apart.
 */
export const queuePrefix = (config: Config): string => `${config.redis.keyPrefix}{queues}`;

/**
 * BullMQ job ids: a custom id may be neither all digits (BullMQ's own ids are) nor contain ':'
 * (its key separator). Parts are joined with '-' and anything else is replaced.
 */
export function jobId(...parts: Array<string | number>): string {
  return parts.map((part) => String(part).replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');
}

import type { Config } from '../../config';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelNode } from '../../integrations/remnawave/remnawave-infra.replies';
import { redisKey, type RedisClient } from '../../infrastructure/redis/redis';
import type { LiveEvents } from './live-events';

type NodeStatus = 'online' | 'connecting' | 'offline' | 'disabled';
/** Longer than any sensible poll interval; lets the states of deleted nodes fade away. */
const STATE_TTL_SECONDS = 86_400;

const statusOf = (node: PanelNode): NodeStatus => (node.isDisabled ? 'disabled' : node.isConnected ? 'online' : node.isConnecting ? 'connecting' : 'offline');

/**
 * The webhook worker's periodic look at the panel's nodes (NODE_STATUS_POLL_INTERVAL): a status
 * that changed since the last poll becomes a `servers` event, and the panel itself going away or
 * coming back a `system` event. The last state lives in Redis and is swapped atomically
 * (SET ... GET), so of several workers polling at once exactly one sees each change. A node's
 * first sighting only records its state.
 */
export class NodeStatusPoll {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly redis: RedisClient;
  private readonly config: Config;
  private readonly liveEvents: LiveEvents;

  constructor(deps: { remnawaveClient: RemnawaveClient; redis: RedisClient; config: Config; liveEvents: LiveEvents }) {
    this.remnawaveClient = deps.remnawaveClient;
    this.redis = deps.redis;
    this.config = deps.config;
    this.liveEvents = deps.liveEvents;
  }

  async run(): Promise<void> {
    let nodes: PanelNode[];
    try {
      nodes = await this.remnawaveClient.listNodes();
    } catch (error) {
      if ((await this.swap('panel', 'down')) === 'up') await this.liveEvents.publish('system', 'panel.unreachable', {});
      throw error;
    }
    if ((await this.swap('panel', 'up')) === 'down') await this.liveEvents.publish('system', 'panel.restored', {});
    for (const node of nodes) {
      const status = statusOf(node);
      const previous = await this.swap(`node:${node.uuid}`, status);
      if (previous !== null && previous !== status) {
        await this.liveEvents.publish('servers', 'node.status_changed', { uuid: node.uuid, name: node.name, status, previous_status: previous });
      }
    }
  }

  /** Stores the new state and answers the one it replaced (null: first sighting). */
  private swap(what: string, state: string): Promise<string | null> {
    return this.redis.set(redisKey(this.config, 'live', 'state', what), state, 'EX', STATE_TTL_SECONDS, 'GET');
  }
}

import type { CircuitState } from 'cockatiel';
import {
  panelUserPageSchema,
  panelUserSchema,
  panelUserStreamSchema,
  type PanelUser,
  type PanelUserPage,
  type PanelUserStatus,
  type PanelUserStream,
} from './remnawave.replies';
import type { RemnawaveTransport } from './remnawave.transport';

/**
 * The Remnawave 3.4 REST API as this service uses it (paths, methods and bodies from the panel's
 * published contract; users are addressed by their numeric id). One singleton: it owns the socket
 * pool and the circuit breaker through its transport.
 */
const USER = 'VPN user';

export interface NewPanelUser {
  username: string;
  expireAt: string;
  trafficLimitBytes?: number;
  email?: string | null;
  telegramId?: number | null;
  description?: string;
}

export interface PanelUserChanges {
  status?: Extract<PanelUserStatus, 'ACTIVE' | 'DISABLED'>;
  expireAt?: string;
  trafficLimitBytes?: number;
  email?: string | null;
  telegramId?: number | null;
  description?: string | null;
}

export type PanelUserAction = 'enable' | 'disable' | 'reset-traffic' | 'revoke';

export interface UserFilter {
  field: 'username';
  value: string;
}

export class RemnawaveClient {
  private readonly transport: RemnawaveTransport;

  constructor({ remnawaveTransport }: { remnawaveTransport: RemnawaveTransport }) {
    this.transport = remnawaveTransport;
  }

  get breakerState(): CircuitState {
    return this.transport.breakerState;
  }

  /** Offset paging (`start`, `size`); `total` is the panel's count of every match. */
  listUsers(start: number, size: number, filter?: UserFilter): Promise<PanelUserPage> {
    const query: Record<string, string | number> = { start, size };
    if (filter) {
      query.filters = JSON.stringify([{ id: filter.field, value: filter.value }]);
      query.filterModes = JSON.stringify({ [filter.field]: 'contains' });
    }
    return this.transport.send({ method: 'GET', path: '/api/users', query, entity: USER, reply: panelUserPageSchema });
  }

  /** Keyset stream with exact filters (the list's telegramId filter is a substring match). */
  streamUsers(filter: { telegramId?: number; email?: string }, cursor?: string, size = 250): Promise<PanelUserStream> {
    const query: Record<string, string | number> = { size };
    if (cursor !== undefined) query.cursor = cursor;
    if (filter.telegramId !== undefined) query.telegramId = filter.telegramId;
    if (filter.email !== undefined) query.email = filter.email;
    return this.transport.send({ method: 'GET', path: '/api/users/stream', query, entity: USER, reply: panelUserStreamSchema });
  }

  getUser(id: number): Promise<PanelUser> {
    return this.transport.send({ method: 'GET', path: `/api/users/${id}`, entity: USER, reply: panelUserSchema });
  }

  createUser(user: NewPanelUser): Promise<PanelUser> {
    return this.transport.send({ method: 'POST', path: '/api/users', body: user, entity: USER, reply: panelUserSchema });
  }

  /** Absolute values only, so sending it twice is harmless: retried like a read. */
  updateUser(id: number, changes: PanelUserChanges): Promise<PanelUser> {
    return this.transport.send({ method: 'PATCH', path: '/api/users', body: { id, ...changes }, idempotent: true, entity: USER, reply: panelUserSchema });
  }

  deleteUser(id: number): Promise<void> {
    return this.transport.send({ method: 'DELETE', path: `/api/users/${id}`, entity: USER });
  }

  /** enable and disable set a state (idempotent); reset-traffic and revoke are not retried. */
  userAction(id: number, action: PanelUserAction): Promise<PanelUser> {
    return this.transport.send({
      method: 'POST',
      path: `/api/users/${id}/actions/${action}`,
      body: action === 'revoke' ? {} : undefined,
      idempotent: action === 'enable' || action === 'disable',
      entity: USER,
      reply: panelUserSchema,
    });
  }
}

import type { PanelUserAction, PanelUserChanges, RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelUser } from '../../integrations/remnawave/remnawave.replies';
import { NotFoundError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../shared/errors';
import type { Page, PageRequest } from '../../shared/pagination';
import type { AuditService } from '../audit/audit.service';
import { boundedMap } from './bounded-map';
import { auditView, toVpnUser, type VpnUser } from './vpn-user.mapper';

/**
 * VPN users live in the Remnawave panel: this service reads and changes them there, maps them to
 * our shape, and audits every change it made (after the panel confirmed it, so a failed call leaves
 * no trace here). Secrets (the subscription link) never reach the audit log.
 */
export interface VpnUserFilters {
  username?: string;
  email?: string;
  telegram_id?: number;
}

export interface NewVpnUser {
  username: string;
  expire_at: Date;
  traffic_limit_bytes?: number;
  email?: string | null;
  telegram_id?: number | null;
  description?: string;
}

export interface VpnUserChanges {
  status?: 'active' | 'disabled';
  expire_at?: Date;
  traffic_limit_bytes?: number;
  email?: string | null;
  telegram_id?: number | null;
  description?: string | null;
}

export type VpnUserAction = 'enable' | 'disable' | 'reset-traffic' | 'revoke';
/** What one bulk request does to each of its ids. */
export type BulkOperation = { kind: 'enable' | 'disable' | 'reset-traffic' } | { kind: 'delete' } | { kind: 'extend'; days: number };
export type BulkOutcome = 'ok' | 'not_found' | 'error';
export interface BulkResult {
  results: { id: number; result: BulkOutcome }[];
  ok: number;
  not_found: number;
  error: number;
}

const ACTION_AUDIT: Record<VpnUserAction, string> = {
  enable: 'vpn_user.enabled',
  disable: 'vpn_user.disabled',
  'reset-traffic': 'vpn_user.traffic_reset',
  revoke: 'vpn_user.subscription_revoked',
};
/** Panel calls of one bulk request in flight at once: enough to be quick, few enough to be polite. */
const BULK_CONCURRENCY = 5;
const DAY_MS = 86_400_000;
/** Exact lookups stream the panel's matches; more than this many for one email or Telegram id is nonsense. */
const EXACT_MATCH_CAP = 1000;
const STREAM_PAGE = 250;
const USER_ENTITY = 'VPN user';

const isUpstreamFailure = (error: unknown) => error instanceof UpstreamUnavailableError || error instanceof UpstreamTimeoutError;

export class VpnUserService {
  private readonly remnawaveClient: RemnawaveClient;
  private readonly auditService: AuditService;

  constructor({ remnawaveClient, auditService }: { remnawaveClient: RemnawaveClient; auditService: AuditService }) {
    this.remnawaveClient = remnawaveClient;
    this.auditService = auditService;
  }

  async list(page: PageRequest, filters: VpnUserFilters): Promise<Page<VpnUser>> {
    if (filters.email !== undefined || filters.telegram_id !== undefined) return this.listExact(page, filters);
    const start = (page.page - 1) * page.page_size;
    const found = await this.remnawaveClient.listUsers(start, page.page_size, filters.username ? { field: 'username', value: filters.username } : undefined);
    return { items: found.users.map(toVpnUser), total: found.total, ...page };
  }

  /** The VPN user a Telegram account belongs to (the oldest, should the panel hold several). */
  async findByTelegramId(telegramId: number): Promise<VpnUser> {
    const page = await this.listExact({ page: 1, page_size: 1 }, { telegram_id: telegramId });
    const [user] = page.items;
    if (!user) throw new NotFoundError(USER_ENTITY);
    return user;
  }

  async get(id: number): Promise<VpnUser> {
    return toVpnUser(await this.remnawaveClient.getUser(id));
  }

  async create(input: NewVpnUser): Promise<VpnUser> {
    const created = toVpnUser(
      await this.remnawaveClient.createUser({
        username: input.username,
        expireAt: input.expire_at.toISOString(),
        ...(input.traffic_limit_bytes === undefined ? {} : { trafficLimitBytes: input.traffic_limit_bytes }),
        ...(input.email === undefined ? {} : { email: input.email }),
        ...(input.telegram_id === undefined ? {} : { telegramId: input.telegram_id }),
        ...(input.description === undefined ? {} : { description: input.description }),
      }),
    );
    await this.auditService.record({ action: 'vpn_user.created', entityType: 'vpn_user', entityId: String(created.id), newValue: auditView(created) });
    return created;
  }

  async update(id: number, changes: VpnUserChanges): Promise<VpnUser> {
    const before = await this.get(id);
    const updated = toVpnUser(await this.remnawaveClient.updateUser(id, toPanelChanges(changes)));
    await this.audit('vpn_user.updated', before, updated);
    return updated;
  }

  async delete(id: number): Promise<void> {
    const before = await this.get(id);
    await this.remnawaveClient.deleteUser(id);
    await this.auditService.record({ action: 'vpn_user.deleted', entityType: 'vpn_user', entityId: String(id), oldValue: auditView(before) });
  }

  async act(id: number, action: VpnUserAction): Promise<VpnUser> {
    const before = await this.get(id);
    const after = toVpnUser(await this.remnawaveClient.userAction(id, action as PanelUserAction));
    await this.audit(ACTION_AUDIT[action], before, after);
    return after;
  }

  /**
   * Moves the expiry N days past max(now, current expiry): the new date is computed once, from one
   * read, and SET, so a retried panel call sets the same date again instead of adding twice. An
   * expired user is active again; one an operator disabled stays disabled.
   */
  async extend(id: number, days: number, now = Date.now()): Promise<VpnUser> {
    const current = await this.remnawaveClient.getUser(id);
    const before = toVpnUser(current);
    const expireAt = new Date(Math.max(now, Date.parse(current.expireAt)) + days * DAY_MS).toISOString();
    const changes: PanelUserChanges = { expireAt, ...(current.status === 'EXPIRED' ? { status: 'ACTIVE' as const } : {}) };
    const after = toVpnUser(await this.remnawaveClient.updateUser(id, changes));
    await this.audit('vpn_user.extended', before, after);
    return after;
  }

  /**
   * The panel has no bulk call with per-user results, so each id runs the single operation, a few
   * at a time. When every id failed because the panel is away, that is the answer (502/504), not a
   * list.
   */
  async bulk(ids: readonly number[], operation: BulkOperation): Promise<BulkResult> {
    // One instant for the whole request: every extension in it counts from the same "now".
    const now = Date.now();
    const run = (id: number): Promise<unknown> => {
      if (operation.kind === 'delete') return this.delete(id);
      if (operation.kind === 'extend') return this.extend(id, operation.days, now);
      return this.act(id, operation.kind);
    };
    const failures: unknown[] = [];
    const results = await boundedMap(ids, BULK_CONCURRENCY, async (id) => {
      try {
        await run(id);
        return { id, result: 'ok' as BulkOutcome };
      } catch (error) {
        if (error instanceof NotFoundError) return { id, result: 'not_found' as BulkOutcome };
        failures.push(error);
        return { id, result: 'error' as BulkOutcome };
      }
    });
    if (failures.length === ids.length && failures.every(isUpstreamFailure)) throw failures[0];
    const count = (outcome: BulkOutcome) => results.filter((r) => r.result === outcome).length;
    return { results, ok: count('ok'), not_found: count('not_found'), error: count('error') };
  }

  /** Email and Telegram id: the panel's exact stream, each match re-checked (its list filter is LIKE). */
  private async listExact(page: PageRequest, filters: VpnUserFilters): Promise<Page<VpnUser>> {
    const query = filters.telegram_id !== undefined ? { telegramId: filters.telegram_id } : { email: filters.email as string };
    const matches: PanelUser[] = [];
    let cursor: string | undefined;
    do {
      const chunk = await this.remnawaveClient.streamUsers(query, cursor, STREAM_PAGE);
      matches.push(
        ...chunk.users.filter((user) => (filters.telegram_id !== undefined ? user.telegramId === filters.telegram_id : user.email === filters.email)),
      );
      cursor = chunk.hasMore && chunk.nextCursor !== null ? chunk.nextCursor : undefined;
    } while (cursor !== undefined && matches.length < EXACT_MATCH_CAP);
    const start = (page.page - 1) * page.page_size;
    return { items: matches.slice(start, start + page.page_size).map(toVpnUser), total: matches.length, ...page };
  }

  private audit(action: string, before: VpnUser, after: VpnUser): Promise<void> {
    return this.auditService.record({ action, entityType: 'vpn_user', entityId: String(after.id), oldValue: auditView(before), newValue: auditView(after) });
  }
}

function toPanelChanges(changes: VpnUserChanges): PanelUserChanges {
  const panel: PanelUserChanges = {};
  if (changes.status !== undefined) panel.status = changes.status === 'active' ? 'ACTIVE' : 'DISABLED';
  if (changes.expire_at !== undefined) panel.expireAt = changes.expire_at.toISOString();
  if (changes.traffic_limit_bytes !== undefined) panel.trafficLimitBytes = changes.traffic_limit_bytes;
  if (changes.email !== undefined) panel.email = changes.email;
  if (changes.telegram_id !== undefined) panel.telegramId = changes.telegram_id;
  if (changes.description !== undefined) panel.description = changes.description;
  return panel;
}

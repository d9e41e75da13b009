import type { Knex } from 'knex';
import type { Principal } from '../../http/access-guard';
import type { RemnawaveClient } from '../../integrations/remnawave/remnawave.client';
import type { PanelUser } from '../../integrations/remnawave/remnawave.replies';
import { TELEGRAM_MAX_TEXT_LENGTH } from '../../integrations/telegram/telegram.client';
import { NotFoundError, RequestValidationError, StateConflictError } from '../../shared/errors';
import type { Clock } from '../../shared/clock';
import type { AuditService } from '../audit/audit.service';
import type { NotificationDispatcher } from './notification-dispatcher';
import { templates } from './templates';

export interface BroadcastRequest {
  segment: string;
  message: string;
  send_at?: Date;
}

export interface BroadcastProgress {
  id: string;
  segment: string;
  status: 'queued' | 'cancelled';
  send_at: Date | null;
  total: number;
  sent: number;
  failed: number;
  cancelled: number;
  pending: number;
  skipped_no_telegram: number;
  created_at: Date;
}

interface BroadcastRow {
  id: string;
  segment: string;
  status: 'queued' | 'cancelled';
  send_at: Date | null;
  skipped_no_telegram: number;
  created_at: Date;
}

const PAGE_SIZE = 250;
const DAY_MS = 86_400_000;

/** Who a segment (validated by SEGMENT_PATTERN) takes from the panel, at `now`. */
export function segmentFilter(segment: string, now: number): (user: PanelUser) => boolean {
  if (segment === 'all_active') return (user) => user.status === 'ACTIVE';
  if (segment === 'expired') return (user) => user.status === 'EXPIRED';
  const until = now + Number(segment.split(':')[1]) * DAY_MS;
  return (user) => {
    const expiresAt = new Date(user.expireAt).getTime();
    return user.status === 'ACTIVE' && expiresAt > now && expiresAt <= until;
  };
}

/**
 * Broadcasts to VPN users: the segment is resolved from the panel (its user stream) when the
 * broadcast is made, into one notification per recipient (`broadcast_id`, dedupe key
 * `broadcast:<id>:<telegram id>`, so a user listed twice gets it once). Those rows go through the
 * same queue, worker and global Telegram limiter as every other message; cancelling marks every
 * row not yet claimed as cancelled, and a job still waiting for one then sends nothing.
 */
export class BroadcastService {
  private readonly db: Knex;
  private readonly remnawaveClient: RemnawaveClient;
  private readonly notificationDispatcher: NotificationDispatcher;
  private readonly auditService: AuditService;
  private readonly clock: Clock;

  constructor(deps: { db: Knex; remnawaveClient: RemnawaveClient; notificationDispatcher: NotificationDispatcher; auditService: AuditService; clock: Clock }) {
    this.db = deps.db;
    this.remnawaveClient = deps.remnawaveClient;
    this.notificationDispatcher = deps.notificationDispatcher;
    this.auditService = deps.auditService;
    this.clock = deps.clock;
  }

  async create(caller: Principal, request: BroadcastRequest): Promise<BroadcastProgress> {
    const message = templates.manual(request.message);
    if (message.length > TELEGRAM_MAX_TEXT_LENGTH) {
      throw new RequestValidationError([{ loc: ['body', 'message'], msg: `message must be at most ${TELEGRAM_MAX_TEXT_LENGTH} characters once HTML-escaped`, type: 'string.max' }]);
    }
    const now = this.clock.now();
    const sendAt = request.send_at && request.send_at.getTime() > now ? request.send_at : null;
    // The panel first: a panel that cannot be read leaves no half-made broadcast behind.
    const { chats, skipped } = await this.recipients(segmentFilter(request.segment, now));
    const ids = await this.db.transaction(async (trx) => {
      const [broadcast] = (await trx('broadcasts')
        .insert({ segment: request.segment, message, send_at: sendAt, skipped_no_telegram: skipped, created_by: caller.kind === 'admin' ? caller.adminId : null })
        .returning('id')) as Array<{ id: string }>;
      const rows: Array<{ id: string }> = [];
      for (let i = 0; i < chats.length; i += 500) {
        const chunk = chats.slice(i, i + 500).map((chat) => ({ target_telegram_id: chat, message, send_at: sendAt, broadcast_id: broadcast!.id, dedupe_key: `broadcast:${broadcast!.id}:${chat}`, created_by: caller.kind === 'admin' ? caller.adminId : null }));
        rows.push(...((await trx('notification_queue').insert(chunk).onConflict('dedupe_key').ignore().returning('id')) as Array<{ id: string }>));
      }
      await this.auditService.record(
        { action: 'broadcast.created', entityType: 'broadcast', entityId: broadcast!.id, newValue: { segment: request.segment, send_at: sendAt, recipients: rows.length, skipped_no_telegram: skipped } },
        trx,
      );
      return { broadcastId: broadcast!.id, rows: rows.map((row) => row.id) };
    });
    // After the commit; a job not added is the sweep's.
    await this.notificationDispatcher.dispatchManyOrLeave(ids.rows, sendAt);
    return this.progress(ids.broadcastId);
  }

  async progress(id: string, trx: Knex = this.db): Promise<BroadcastProgress> {
    const broadcast = (await trx<BroadcastRow>('broadcasts').where({ id }).first()) as BroadcastRow | undefined;
    if (!broadcast) throw new NotFoundError('Broadcast');
    const counts = (await trx('notification_queue').where({ broadcast_id: id }).select('status').count<{ status: string; count: string }[]>('* as count').groupBy('status')) as Array<{ status: string; count: string }>;
    const of = (status: string) => Number(counts.find((row) => row.status === status)?.count ?? 0);
    const [sent, failed, cancelled, pending] = [of('sent'), of('failed'), of('cancelled'), of('pending')];
    return {
      id: broadcast.id,
      segment: broadcast.segment,
      status: broadcast.status,
      send_at: broadcast.send_at,
      total: sent + failed + cancelled + pending,
      sent,
      failed,
      cancelled,
      pending,
      skipped_no_telegram: broadcast.skipped_no_telegram,
      created_at: broadcast.created_at,
    };
  }

  /** Cancels every row not sent or being sent yet; 409 when the broadcast was cancelled before. */
  async cancel(id: string): Promise<BroadcastProgress> {
    return this.db.transaction(async (trx) => {
      const [cancelled] = (await trx('broadcasts').where({ id, status: 'queued' }).update({ status: 'cancelled', cancelled_at: new Date(this.clock.now()) }).returning('id')) as Array<{ id: string }>;
      if (!cancelled) {
        if (await trx('broadcasts').where({ id }).first()) throw new StateConflictError('broadcast_cancelled');
        throw new NotFoundError('Broadcast');
      }
      const rows = await trx('notification_queue').where({ broadcast_id: id, status: 'pending' }).whereNull('claim_id').update({ status: 'cancelled', error: null });
      await this.auditService.record({ action: 'broadcast.cancelled', entityType: 'broadcast', entityId: id, oldValue: { status: 'queued' }, newValue: { status: 'cancelled', rows_cancelled: rows } }, trx);
      return this.progress(id, trx);
    });
  }

  /** The segment's Telegram chats (each once) and how many of its users have none. */
  private async recipients(inSegment: (user: PanelUser) => boolean): Promise<{ chats: number[]; skipped: number }> {
    const chats = new Set<number>();
    let skipped = 0;
    let cursor: string | undefined;
    do {
      const page = await this.remnawaveClient.streamUsers({}, cursor, PAGE_SIZE);
      for (const user of page.users.filter(inSegment)) {
        if (user.telegramId === null) skipped += 1;
        else chats.add(user.telegramId);
      }
      cursor = page.hasMore && page.nextCursor ? page.nextCursor : undefined;
    } while (cursor !== undefined);
    return { chats: [...chats], skipped };
  }
}

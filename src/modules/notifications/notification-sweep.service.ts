import type { JobQueues } from '../../infrastructure/queues/job-queues';
import type { Clock } from '../../shared/clock';
import type { NotificationDispatcher } from './notification-dispatcher';
import { notificationJobId } from './notification-dispatcher';
import type { NotificationRepository, PendingNotification } from './notifications.repository';

/** A row younger than this may still be getting its job from its producer: not the sweep's yet. */
export const SWEEP_GRACE_MS = 30_000;
const PAGE = 500;
/** Rows one run looks at, at most; the next run goes on from the oldest again. */
const MAX_PER_RUN = 20_000;

/**
 * The repeatable safety net of "the row is the truth": every pending row whose `deliver` job is
 * missing (Redis lost, the add failed after the commit) or finished without finishing the row
 * (the job failed, e.g. its worker died past the stall limit) gets its job again. A row whose
 * claim went stale is queued the same way: its delivery then records the unknown outcome.
 */
export class NotificationSweepService {
  private readonly repository: NotificationRepository;
  private readonly dispatcher: NotificationDispatcher;
  private readonly jobQueues: JobQueues;
  private readonly clock: Clock;

  constructor(deps: { notificationRepository: NotificationRepository; notificationDispatcher: NotificationDispatcher; jobQueues: JobQueues; clock: Clock }) {
    this.repository = deps.notificationRepository;
    this.dispatcher = deps.notificationDispatcher;
    this.jobQueues = deps.jobQueues;
    this.clock = deps.clock;
  }

  /** How many rows got their job again. */
  async run(): Promise<number> {
    const createdBefore = new Date(this.clock.now() - SWEEP_GRACE_MS);
    let requeued = 0;
    let seen = 0;
    let after: PendingNotification | undefined;
    while (seen < MAX_PER_RUN) {
      const rows = await this.repository.pendingOlderThan(createdBefore, PAGE, after);
      for (const row of rows) if (await this.requeueIfLost(row)) requeued += 1;
      seen += rows.length;
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1];
    }
    return requeued;
  }

  private async requeueIfLost(row: PendingNotification): Promise<boolean> {
    if (!(await this.jobQueues.freeJobId('notifications', notificationJobId(row.id)))) return false;
    await this.dispatcher.dispatch(row.id, row.send_at, this.clock.now());
    return true;
  }
}

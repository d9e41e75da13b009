import bcrypt from 'bcrypt';

/**
 * Piscina task: bcrypt on this worker thread. The synchronous calls are deliberate: they keep the
 * CPU work on this (niced) thread instead of handing it to libuv's shared pool, which also serves
 * DNS and file I/O for the event loop.
 *
 * A verification may be charged to a cost (`chargeCost`): when the stored hash is cheaper, the
 * missing rounds are spent here, in the same task, so the caller waits for the queue once and the
 * answer takes as long as a verification at that cost. bcrypt spends 2^cost rounds, and
 * 2^charge - 2^own = 2^own + 2^(own+1) + ... + 2^(charge-1): one throw-away hash at each cost in between.
 */
export type PasswordHashTask = { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string; chargeCost?: number };
export type VerifyOutcome = { matches: boolean; rounds: number };

const MIN_COST = 4;
const costOf = (hash: string): number | null => {
  const cost = Number(/^\$2[aby]\$(\d{2})\$/.exec(hash)?.[1]);
  return Number.isInteger(cost) && cost >= MIN_COST ? cost : null;
};

export default function run(task: PasswordHashTask): string | VerifyOutcome {
  if (task.op === 'hash') return bcrypt.hashSync(task.password, task.cost);
  const matches = bcrypt.compareSync(task.password, task.hash);
  const own = costOf(task.hash);
  let rounds = own === null ? 0 : 2 ** own;
  const charge = task.chargeCost ?? 0;
  if (own === null && charge >= MIN_COST) {
    bcrypt.hashSync(task.password, charge);
    rounds = 2 ** charge;
  }
  for (let cost = own ?? charge; cost < charge; cost += 1) {
    bcrypt.hashSync(task.password, cost);
    rounds += 2 ** cost;
  }
  return { matches, rounds };
}

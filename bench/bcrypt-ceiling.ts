import bcrypt from 'bcrypt';

/**
 * The single-thread bcrypt rate, in a child process of bench/auth.bench.ts with nothing else in
 * it: the same call the hash workers make for a login (bcrypt.compareSync, workers/password-hash.worker.ts)
 * at the configured cost. argv: cost, iterations. Answers the driver with each verification's
 * duration in ms (one untimed verification first, to load and warm the binding).
 */
const cost = Number(process.argv[2] ?? 12);
const iterations = Number(process.argv[3] ?? 12);
const password = 'bench-password-1';
const hash = bcrypt.hashSync(password, cost);
bcrypt.compareSync(password, hash);

const durations: number[] = [];
for (let i = 0; i < iterations; i += 1) {
  const start = process.hrtime.bigint();
  if (!bcrypt.compareSync(password, hash)) throw new Error('bcrypt verification failed');
  durations.push(Number(process.hrtime.bigint() - start) / 1e6);
}
process.send?.({ durations }, () => process.exit(0));

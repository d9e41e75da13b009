import bcrypt from 'bcrypt';

/**
 * Piscina task: bcrypt on this worker thread. The synchronous calls are deliberate: they keep the
 * CPU work on this (niced) thread instead of handing it to libuv's shared pool, which also serves
 * DNS and file I/O for the event loop.
 */
export type PasswordHashTask = { op: 'hash'; password: string; cost: number } | { op: 'verify'; password: string; hash: string };

export default function run(task: PasswordHashTask): string | boolean {
  if (task.op === 'hash') return bcrypt.hashSync(task.password, task.cost);
  return bcrypt.compareSync(task.password, task.hash);
}

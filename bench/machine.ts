import { execFileSync, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BCRYPT_COST } from './support';

/**
 * What the authentication benchmarks read about the machine: the single-thread bcrypt ceiling (a
 * child process with nothing else in it) and the CPU time and niceness of a server's threads
 * from /proc.
 */

/** Per-verification durations (ms) of `iterations` compareSync at the cost, in bench/bcrypt-ceiling.ts. */
export function ceilingRun(iterations: number): Promise<number[]> {
  const child = fork(path.join(__dirname, 'bcrypt-ceiling.ts'), [String(BCRYPT_COST), String(iterations)], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { durations: number[] }) => resolve(message.durations));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`bcrypt ceiling child exited with ${code}`));
    });
  });
}

export const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface ThreadStat {
  tid: number;
  name: string;
  nice: number;
  /** user + system CPU, seconds */
  cpu: number;
}

/** Every thread of a process (threads that end while being read are skipped). */
export function threadStats(pid: number): ThreadStat[] {
  const threads: ThreadStat[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after "comm)": state is field 3, utime 14, stime 15, nice 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    threads.push({
      tid: Number(tid),
      name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      nice: Number(fields[16]),
      cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    });
  }
  return threads;
}

/** Fields of /proc/<pid>/stat after "comm)": state is [0], ppid [1], session [3], nice [16]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The processes whose parent is `pid` (the API's hashing processes). */
export function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => {
      try {
        return Number(statFields(candidate)[1]) === pid;
      } catch {
        return false; // ended meanwhile
      }
    });
}

export interface ProcessPriority {
  pid: number;
  nice: number;
  session: number;
  /** "/autogroup-123 nice 10", or "none" where the kernel has no autogroup */
  autogroup: string;
}

export function processPriority(pid: number): ProcessPriority {
  const fields = statFields(pid);
  let autogroup = 'none';
  try {
    autogroup = readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim();
  } catch {
    // not Linux, or no autogroup
  }
  return { pid, nice: Number(fields[16]), session: Number(fields[3]), autogroup };
}

/**
 * CPU seconds of a server's hashing (its child processes, and any thread of its own above the
 * process's niceness) and of the rest of the server process.
 */
export function threadTimes(pid: number): { niced: number; other: number } {
  const processNice = Number(statFields(pid)[16]);
  let niced = 0;
  let other = 0;
  for (const thread of threadStats(pid)) {
    if (thread.nice > processNice) niced += thread.cpu;
    else other += thread.cpu;
  }
  for (const child of childPids(pid)) {
    try {
      for (const thread of threadStats(child)) niced += thread.cpu;
    } catch {
      // ended meanwhile
    }
  }
  return { niced, other };
}

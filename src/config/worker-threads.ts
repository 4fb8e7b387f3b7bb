// Whether the server runs its two worker threads: the SQLite writer thread
// (every statement off the event loop, src/store/sqlite/threaded-store.ts)
// and the HTTP client thread (the http and webhook actions' sockets,
// src/actions/http1-thread.ts). One rule for both, decided here once from the
// environment and the machine, and passed in as settings (ServerSettings →
// the store's options and the actions' services): nothing else reads
// HOOKER_SQLITE_THREAD or HOOKER_HTTP_THREAD.
//
// `auto` turns each on where the process has at least 2 cores: with
// everything on one event loop a 2-core machine saturated near 5,000
// deliveries/s, while with both threads it delivered 9,000/s at an e2e p99
// of 37 ms and answered the 202 at 1,000 events/s with a p99 of 6 ms
// (BENCHMARKS.md, "Issue 12, session 18: where the targets stand"). On one
// core a thread only adds its hand-overs to the same core's work, so it is
// off there. Unset means DEFAULT_SWITCH: `auto`, so both threads are the
// default on 2 cores or more; HOOKER_SQLITE_THREAD=0 / HOOKER_HTTP_THREAD=0
// keep everything on the event loop, =1 forces a thread on even on 1 core.

import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

/** `auto`: on with ≥ 2 cores; `on` (1/true/yes/on) and `off` (0/false/no/off) as set. */
export type ThreadSwitch = 'auto' | 'on' | 'off';

/** What an unset (or empty) variable means. */
export const DEFAULT_SWITCH: ThreadSwitch = 'auto';

export interface WorkerThreads {
  /** SQLite statements run in the writer thread (HOOKER_SQLITE_THREAD). */
  sqlite: boolean;
  /** The http and webhook actions send from the client thread (HOOKER_HTTP_THREAD). */
  http: boolean;
  /** What decided each: the variable as given, or `auto` on `cores`. */
  sqliteSwitch: ThreadSwitch;
  httpSwitch: ThreadSwitch;
  /** The cores the auto choice saw (usableCores()). */
  cores: number;
}

/** The fewest cores at which `auto` turns a thread on. */
export const AUTO_MIN_CORES = 2;

/** Reads one switch; anything else than the accepted spellings is an error naming the variable. */
export function threadSwitch(raw: string | undefined, variable: string): ThreadSwitch {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return DEFAULT_SWITCH;
  if (v === 'auto') return 'auto';
  if (/^(1|true|yes|on)$/.test(v)) return 'on';
  if (/^(0|false|no|off)$/.test(v)) return 'off';
  throw new Error(`${variable} must be 1 (on), 0 (off) or auto (on with ${AUTO_MIN_CORES} or more cores), got "${raw}"`);
}

/** The one meaning of a switch: as set, or for `auto`, on where there are at least AUTO_MIN_CORES cores. */
export function threadOn(sw: ThreadSwitch, cores: number): boolean {
  return sw === 'auto' ? cores >= AUTO_MIN_CORES : sw === 'on';
}

/**
 * Both threads' choice. `raw` holds the two variables as read from the
 * environment (HOOKER_* or POSTEE_*, see env.ts); `cores` is usableCores()
 * unless a test gives it.
 */
export function workerThreads(raw: { sqlite?: string; http?: string }, cores: number = usableCores()): WorkerThreads {
  const sqliteSwitch = threadSwitch(raw.sqlite, 'HOOKER_SQLITE_THREAD');
  const httpSwitch = threadSwitch(raw.http, 'HOOKER_HTTP_THREAD');
  return { sqlite: threadOn(sqliteSwitch, cores), http: threadOn(httpSwitch, cores), sqliteSwitch, httpSwitch, cores };
}

/**
 * The cores this process can run on: os.availableParallelism() (its CPU
 * affinity), lowered to a cgroup v2 CPU quota when one is set
 * (/sys/fs/cgroup/cpu.max, e.g. a container's `limits: cpu: 1`), which
 * Node 20's availableParallelism does not see: threads on a one-CPU quota
 * would only share it with the event loop.
 */
export function usableCores(cpuMax = '/sys/fs/cgroup/cpu.max'): number {
  const parallelism = availableParallelism();
  const quota = cgroupCpuQuota(readOr(cpuMax));
  return quota === undefined ? parallelism : Math.min(parallelism, quota);
}

/** cpu.max's "QUOTA PERIOD" as a number of CPUs; undefined for "max" (no quota) or anything unreadable. */
export function cgroupCpuQuota(text: string | undefined): number | undefined {
  const m = /^(\d+)\s+(\d+)\s*$/.exec(text?.trim() ?? '');
  if (!m) return undefined;
  const quota = Number(m[1]);
  const period = Number(m[2]);
  return period > 0 && quota > 0 ? quota / period : undefined;
}

function readOr(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

/** The start's log line: which mode runs and why. */
export function describeWorkerThreads(w: WorkerThreads): string {
  const why = (sw: ThreadSwitch, variable: string) => `${variable} ${sw}${sw === 'auto' ? `, ${formatCores(w.cores)}` : ''}`;
  return `hooker: SQLite writer thread ${w.sqlite ? 'on' : 'off'} (${why(w.sqliteSwitch, 'HOOKER_SQLITE_THREAD')}), `
    + `HTTP client thread ${w.http ? 'on' : 'off'} (${why(w.httpSwitch, 'HOOKER_HTTP_THREAD')})`;
}

function formatCores(cores: number): string {
  const n = Number.isInteger(cores) ? String(cores) : cores.toFixed(2);
  return `${n} core${cores === 1 ? '' : 's'}`;
}

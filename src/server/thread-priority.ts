// V8's helper threads yield to the event loop (issue 12, target 2b).
//
// Every Node process starts a pool of platform threads (4 by default) that
// run V8's optimising compiler and the collector's helper tasks for every
// isolate of the process: the event loop's and the SQLite writer's and HTTP
// client's threads alike. On a small machine they compete with the event
// loop for the cores: in bench:server's latency phase (2 cores, the load
// generator and the receiver on them too) the event loop's thread was
// runnable but waiting for a core 40-70 % of the time in the first seconds
// after start, while the pool compiled the hot code of three isolates (about
// 0.4 core of the optimising compiler), and every request waited with it.
//
// Linux's nice value belongs to a thread, and a thread starts with its
// creator's: the threads that exist before the server starts anything (V8's
// pool, libuv's file-system pool when module loading started it) are set
// HELPER_NICE steps below the event loop's priority (nice +10: about a
// tenth of its share of a core when both want one), so they take the cores
// the event loop leaves. Threads the server starts afterwards (the SQLite
// writer thread, the HTTP client thread, the checkpoint worker) are started
// by the event loop's thread and keep its priority: they are on the path of
// a commit or a delivery. Raising a nice
// value needs no privilege; where it cannot be done (no /proc, another
// system) nothing changes.

import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much higher the helper threads' nice value is than the event loop's (19, the lowest priority, at most). */
export const HELPER_NICE = 10;

/**
 * Lowers the priority of every thread of this process but the main one by
 * `by` nice steps below the main thread's: call it from the main thread
 * before the server starts any worker thread. Returns how many threads it
 * changed.
 */
export function lowerHelperThreads(by = HELPER_NICE): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0; // not Linux: no per-thread priorities to set
  }
  // The calling (main) thread's own value: a server started under `nice` keeps its helpers below it.
  const nice = Math.min(19, getPriority() + by);
  let changed = 0;
  for (const tid of tids) {
    // The main thread's id is the process id.
    if (Number(tid) === process.pid) continue;
    try {
      setPriority(Number(tid), nice);
      changed++;
    } catch {
      // The thread ended meanwhile, or the system refuses: it keeps its priority.
    }
  }
  return changed;
}

// Memory after a burst: events in flight under load live through young
// collections and end up in V8's old space, which is collected only when it
// grows further; a server that goes quiet after 100,000 events kept a few
// hundred MiB of such garbage resident (measured: 116 MiB of old space in
// use, 21 MiB of it live). When the event loop has been nearly idle for a
// sampling period and the heap has grown well past what the last collection
// left, one full collection runs then, off the request path: it costs tens of
// milliseconds on an idle process and gives the pages back.
//
// Growth is looked for in the heap V8 has committed as well as in the heap in
// use: during a long burst V8's own collections keep the heap in use small
// (24 MiB after 10,000 events drained) while the committed heap stays at its
// peak (96 MiB: old space 60 MiB committed for 21 MiB live) until a full
// collection compacts it, so a check of the heap in use alone never fired.
// "Idle" is below 20 % busy: a drained server still spends 5-10 % of some
// seconds on timers and housekeeping, and on a loaded host that is more; a
// burst keeps the loop 50-100 % busy. 16 MiB of growth is a collection of
// tens of milliseconds per burst, which V8 would run anyway sooner or later.

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';

export interface IdleGcOptions {
  /** How often the loop's utilisation and the heap are looked at. */
  sampleMs?: number;
  /** Collect only when the loop was busier than this fraction of the period (0..1). */
  idleBelow?: number;
  /** Collect only when the heap in use, or the heap V8 committed, grew this much since the last collection. */
  growthBytes?: number;
}

let gcFunction: (() => void) | undefined | null;

/** V8's full collection, made callable without starting node with --expose-gc; null when unavailable. */
function fullGc(): (() => void) | null {
  if (gcFunction !== undefined) return gcFunction;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    gcFunction = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

export class IdleGc {
  private timer: ReturnType<typeof setInterval> | undefined;
  private last = performance.eventLoopUtilization();
  private baseline = heapNow();
  /** Full collections run so far. */
  collections = 0;

  constructor(private readonly opts: IdleGcOptions = {}) {}

  start(): void {
    if (this.timer || !fullGc()) return;
    this.timer = setInterval(() => this.check(), this.opts.sampleMs ?? 1_000);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample: collects when the last period was idle and the heap grew. Returns whether it collected. */
  check(): boolean {
    const now = performance.eventLoopUtilization();
    const period = performance.eventLoopUtilization(now, this.last);
    this.last = now;
    if (period.utilization >= (this.opts.idleBelow ?? 0.2)) return false;
    const heap = heapNow();
    const growth = this.opts.growthBytes ?? 16 * 1024 * 1024;
    if (heap.used - this.baseline.used < growth && heap.committed - this.baseline.committed < growth) return false;
    const gc = fullGc();
    if (!gc) return false;
    gc();
    this.collections++;
    this.baseline = heapNow();
    // The collection itself must not count as activity in the next period.
    this.last = performance.eventLoopUtilization();
    return true;
  }
}

/** The JS heap in use and committed (v8's figures, without process.memoryUsage()'s read of /proc for the RSS). */
function heapNow(): { used: number; committed: number } {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, committed: h.total_heap_size };
}

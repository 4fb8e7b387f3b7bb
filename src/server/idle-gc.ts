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
// "Idle" is below 10 % busy: a drained server still spends up to 5-7 % of
// some seconds on timers and housekeeping on a loaded host; a burst keeps the
// loop 50-100 % busy. The collection compacts (below), tens of milliseconds
// on an idle process: at most one per `minIntervalMs`, so a steady light
// load that regrows the heap is not paused over and over.

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
  /** At least this long between two collections. */
  minIntervalMs?: number;
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
  private lastCollectedAt = -Infinity;
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
    if (period.utilization >= (this.opts.idleBelow ?? 0.1)) return false;
    if (performance.now() - this.lastCollectedAt < (this.opts.minIntervalMs ?? 30_000)) return false;
    const heap = heapNow();
    const growth = this.opts.growthBytes ?? 16 * 1024 * 1024;
    if (heap.used - this.baseline.used < growth && heap.committed - this.baseline.committed < growth) return false;
    const gc = fullGc();
    if (!gc) return false;
    compactingGc(gc);
    this.collections++;
    this.baseline = heapNow();
    this.lastCollectedAt = performance.now();
    // The collection itself must not count as activity in the next period.
    this.last = performance.eventLoopUtilization();
    return true;
  }
}

/**
 * A full collection that also compacts: a plain one frees the dead objects
 * but leaves the live ones scattered over the pages the burst filled (after
 * 3,000 events: 72 -> 23.5 MiB in use, 93 -> 83 MiB committed), so the
 * pages stay resident; compacting moves the live objects together and gives
 * the emptied pages back (the same run with it: 93 -> 57 MiB committed, RSS
 * 3 s after the drain 178 -> 154 MiB). V8 compacts on every full collection only under this flag,
 * set around this one call.
 */
function compactingGc(gc: () => void): void {
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

/** The JS heap in use and committed (v8's figures, without process.memoryUsage()'s read of /proc for the RSS). */
function heapNow(): { used: number; committed: number } {
  const h = getHeapStatistics();
  return { used: h.used_heap_size, committed: h.total_heap_size };
}

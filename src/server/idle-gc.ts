// Memory after a burst: events in flight under load live through young
// collections and end up in V8's old space, which is collected only when it
// grows further; a server that goes quiet after 100,000 events kept a few
// hundred MiB of such garbage resident (measured: 116 MiB of old space in
// use, 21 MiB of it live). When the event loop has been nearly idle for a
// sampling period and the heap has grown well past what the last collection
// left, one full collection runs then, off the request path: it costs tens of
// milliseconds on an idle process and gives the pages back.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { performance } from 'node:perf_hooks';

export interface IdleGcOptions {
  /** How often the loop's utilisation and the heap are looked at. */
  sampleMs?: number;
  /** Collect only when the loop was busier than this fraction of the period (0..1). */
  idleBelow?: number;
  /** Collect only when the heap in use grew this much since the last collection. */
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
  private baseline = process.memoryUsage().heapUsed;
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
    const heap = process.memoryUsage().heapUsed;
    if (period.utilization >= (this.opts.idleBelow ?? 0.05) || heap - this.baseline < (this.opts.growthBytes ?? 32 * 1024 * 1024)) return false;
    const gc = fullGc();
    if (!gc) return false;
    gc();
    this.collections++;
    this.baseline = process.memoryUsage().heapUsed;
    // The collection itself must not count as activity in the next period.
    this.last = performance.eventLoopUtilization();
    return true;
  }
}

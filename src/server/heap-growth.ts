// How far V8 lets the old generation grow before its next mark-compact.
//
// Under steady ingest every scavenge promotes the events it finds in flight
// (~0.8 MB per scavenge at an offered 1,000 events/s, ~5 MB/s), garbage a
// mark-compact then frees. After each mark-compact V8 sets the next one's
// limit at the live size times a factor it derives from how fast it collects
// against how fast the program allocates: for this server that comparison
// reads "collection is cheap" (speed ratio 50-110) and the factor comes out
// at 1.4-2.5 on a ~22 MB live heap, so a mark-compact ran every 2.5-4 s. Each
// one (its incremental marking steps, the concurrent marker taking a core,
// the final pause) stalled the event loop for a few turns: 40-70 of the 202s
// around it took over 10 ms, the largest share of the slow 202s at 1,000
// events/s (issue 12, target 2b; BENCHMARKS.md "session 14: p99").
//
// While the live heap is small, the factor is fixed at FIXED_FACTOR's (V8's
// own largest): a few tens of MB more heap under load for 2-3 times fewer
// mark-compacts. Past LIVE_CAP_BYTES of live heap V8's own factor is left in
// place (a server holding a large backlog in memory must not grow to four
// times it). The idle collection (idle-gc.ts) gives the pages back once the
// load stops. An operator's own --heap-growing-percent (node's command line or
// NODE_OPTIONS) is left alone.

import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** V8's flag: the factor is 1 + percent / 100; 0 lets V8 choose it after each mark-compact. */
const FLAG = '--heap-growing-percent';
/** Factor 4, the largest V8 chooses itself. */
export const FIXED_PERCENT = 300;
/** Live heap (after a mark-compact) up to which the factor is fixed. */
export const LIVE_CAP_BYTES = 48 * 1024 * 1024;

/** The flag for a live heap of `liveBytes`: the fixed factor while it is small, V8's own past LIVE_CAP_BYTES. */
export function growthFlagFor(liveBytes: number): string {
  return `${FLAG}=${liveBytes <= LIVE_CAP_BYTES ? FIXED_PERCENT : 0}`;
}

/** Whether the operator set the factor (node's command line or NODE_OPTIONS), in either spelling. */
export function operatorSetsGrowth(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  const mentions = (s: string) => /--heap[-_]growing[-_]percent\b/.test(s);
  return execArgv.some(mentions) || mentions(nodeOptions ?? '');
}

export class HeapGrowth {
  private observer: PerformanceObserver | undefined;
  /** The flag last set, undefined before start() or when the operator set one. */
  current: string | undefined;

  constructor(private readonly execArgv: readonly string[] = process.execArgv, private readonly nodeOptions: string | undefined = process.env['NODE_OPTIONS']) {}

  start(): void {
    if (this.observer || operatorSetsGrowth(this.execArgv, this.nodeOptions)) return;
    this.set(getHeapStatistics().used_heap_size);
    // The factor is read when a mark-compact sets the next limit: decided after each one, from what it left.
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.set(getHeapStatistics().used_heap_size);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    if (!this.observer) return;
    this.observer.disconnect();
    this.observer = undefined;
    // V8's own factor again (the flag is the process's, not this server's).
    setFlagsFromString(`${FLAG}=0`);
    this.current = undefined;
  }

  private set(liveBytes: number): void {
    const flag = growthFlagFor(liveBytes);
    if (flag === this.current) return;
    setFlagsFromString(flag);
    this.current = flag;
  }
}

// Ingest's share of the event loop while deliveries run: store work done in
// one synchronous go (a SQLite transaction committing plans, claiming or
// finishing deliveries) holds every request behind it. Each kind of batch
// takes as many items as fit in a few milliseconds, learned from the time
// its last batches blocked the loop, and the rest waits for the next turn,
// after the sockets were read: a burst of 512 finishes no longer holds a 202
// for 25 ms. Batches stay large when items are cheap (or the store is
// remote and mostly waited on: only the synchronous part is counted).

export class SliceBudget {
  /**
   * Milliseconds per item of the last SAMPLES batches, oldest overwritten
   * first. The estimate is their median, not a running mean: a batch that a
   * scavenge, a checkpoint's fsync or the thread losing its core stretched
   * to 10–60x its usual time says nothing about the next batch, but a mean
   * took it for the new cost per item and shrank the following batches to
   * the minimum for dozens of batches. With one batch per event-loop turn,
   * plans then arrived faster than they were committed, and 202s waited
   * 100+ ms in the commit queue while the loop itself never stalled over
   * 50 ms (issue 12, measured in bench:server's latency phase). A cost that
   * really changed moves the median within SAMPLES / 2 batches.
   */
  private readonly samples: number[] = [];
  private next = 0;
  /** The median of `samples`; 0 until measured. */
  private perItemMs = 0;

  constructor(private readonly budgetMs: number, private readonly min: number, private readonly max: number) {}

  /** Items the next batch may take. */
  size(): number {
    if (this.perItemMs <= 0) return this.min;
    return Math.max(this.min, Math.min(this.max, Math.floor(this.budgetMs / this.perItemMs)));
  }

  /** `items` took `ms` of synchronous work. */
  record(items: number, ms: number): void {
    if (items <= 0 || !(ms >= 0)) return;
    this.samples[this.next] = ms / items;
    this.next = (this.next + 1) % SAMPLES;
    const sorted = [...this.samples].sort((a, b) => a - b);
    this.perItemMs = sorted[sorted.length >> 1]!;
  }
}

/** Batches the per-item estimate is the median of. */
const SAMPLES = 15;

/** Milliseconds a batch of store work may hold the event loop: well inside issue 12's 10 ms p99 for a 202. */
export const SLICE_MS = 4;

/** Runs `start` (which may block synchronously before returning its promise) and records that blocking part. */
export function timed<T>(budget: SliceBudget, items: number, start: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const p = start();
  budget.record(items, performance.now() - t0);
  return p;
}

/** Lets I/O callbacks (new requests, action answers) run before the next batch. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

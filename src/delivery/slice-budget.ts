// Ingest's share of the event loop while deliveries run: store work done in
// one synchronous go (a SQLite transaction committing plans, claiming or
// finishing deliveries) holds every request behind it. Each kind of batch
// takes as many items as fit in a few milliseconds, learned from the time
// its last batches blocked the loop, and the rest waits for the next turn,
// after the sockets were read: a burst of 512 finishes no longer holds a 202
// for 25 ms. Batches stay large when items are cheap (or the store is
// remote and mostly waited on: only the synchronous part is counted).

export class SliceBudget {
  /** Smoothed milliseconds of blocking work per item; 0 until measured. */
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
    const per = ms / items;
    this.perItemMs = this.perItemMs > 0 ? 0.8 * this.perItemMs + 0.2 * per : per;
  }
}

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

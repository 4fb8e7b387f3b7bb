// A first-in first-out list whose front is taken without moving the rest: a
// lane's claimed-ahead deliveries. Array.prototype.splice(0, n) moves every
// element behind the n taken, which cost nothing while a lane held a few
// hundred, and 10 % of the event loop once it held ~10,000 in memory
// (issue 12, SchedulerOptions.holdAhead; BENCHMARKS.md "session 13: loop").
// The taken slots are cleared at once (what they held is free for the
// collector) and the array is compacted when the taken front is at least
// half of it, so each element is moved at most once on average.

/** Compact only past this many taken slots: below it the copy is not worth a call. */
const COMPACT_AT = 1_024;

export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  /** The oldest element, left in place. */
  first(): T | undefined {
    return this.items[this.head];
  }

  push(item: T): void {
    this.items.push(item);
  }

  pushAll(items: readonly T[]): void {
    for (const item of items) this.items.push(item);
  }

  /** Takes the oldest element off the front. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Takes everything, oldest first. */
  takeAll(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}

// A function's results for the last few arguments met. For texts repeated
// back to back (an event's deliveries handed over side by side, the same log
// line delivery after delivery), a linear look over a handful of keys is
// cheaper than any map: the same string object compares at once, a differing
// one at its first differing character (issue 12, the delivery path).

export class RecentMemo<V> {
  private readonly keys: string[] = [];
  private readonly values: V[] = [];
  private next = 0;

  constructor(private readonly size: number, private readonly compute: (key: string) => V) {}

  get(key: string): V {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] === key) return this.values[i]!;
    const value = this.compute(key);
    this.keys[this.next] = key;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
    return value;
  }
}

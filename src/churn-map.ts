// A Map (and a Set) for a long-lived table whose entries come and go at a
// high rate: the requests a worker thread has not answered yet, keyed by
// their sequence number; a lane's deliveries on the wire.
//
// Why not a plain Map or Set: V8 keeps their entries in a hash table that it
// rebuilds when the table is full of deleted slots, and once the table has
// been promoted to the old generation the rebuilt one is allocated there too.
// The table it replaced still points at every entry it held, and the
// young-generation collector takes an old object's pointers as live until
// the next mark-compact frees it. A small table under churn (a few entries
// live, one added and one deleted per request) is rebuilt every few
// insertions, so every entry that passes through it is in some replaced
// table: all of them, and all they reach (a request's promise, the delivery,
// the event's text, the action's frame), outlive their scavenges and are
// promoted, though each is answered milliseconds later. Measured: 20,000
// objects of ~270 bytes passed through an old Set holding 4 at a time are
// promoted whole by two scavenges (5.4 MB), 70-80 KB through a ChurnSet
// (test/store/churn-map.test.ts); with HOOKER_HTTP_THREAD at an offered
// 1,000 events/s the main thread promoted 4.6-5.3 KB per event with a Map of
// pending requests, 2.8-3.6 KB with this (issue 12, BENCHMARKS.md "session
// 15: where the targets stand" and "session 16: promo").
//
// Here the Map is replaced by a copy of itself every `every` insertions, while
// it holds no more entries than that: the copy is young, its rebuilds are
// young too, and it is replaced again before it is old enough to be promoted
// (at the rates this is for, `every` insertions take well under the ~170 ms
// between two scavenges). The copy costs at most one entry moved per
// insertion; a map grown larger than `every` is left as it is.

export class ChurnMap<K, V> implements Iterable<[K, V]> {
  private map = new Map<K, V>();
  private added = 0;

  constructor(private readonly every = 256) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    if (++this.added >= this.every) {
      this.added = 0;
      if (this.map.size <= this.every) this.map = new Map(this.map);
    }
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map = new Map();
    this.added = 0;
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.map[Symbol.iterator]();
  }
}

/**
 * ChurnMap's Set (see the top of this file): a ChurnMap whose values are all
 * `true`, so that when and how the table is copied is written once.
 */
export class ChurnSet<T> implements Iterable<T> {
  private readonly map: ChurnMap<T, true>;

  constructor(every = 256) {
    this.map = new ChurnMap<T, true>(every);
  }

  get size(): number {
    return this.map.size;
  }

  has(value: T): boolean {
    return this.map.has(value);
  }

  add(value: T): this {
    this.map.set(value, true);
    return this;
  }

  delete(value: T): boolean {
    return this.map.delete(value);
  }

  clear(): void {
    this.map.clear();
  }

  values(): IterableIterator<T> {
    return this.map.keys();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.map.keys();
  }
}

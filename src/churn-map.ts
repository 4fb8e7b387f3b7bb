// A Map for a long-lived table whose entries come and go at a high rate: the
// requests a worker thread has not answered yet, keyed by their sequence
// number.
//
// Why not a plain Map: V8 keeps a Map's entries in a hash table that it
// rebuilds when the table is full of deleted slots, and once the table has
// been promoted to the old generation the rebuilt one is allocated there too.
// The table it replaced still points at every entry it held, and the
// young-generation collector takes an old object's pointers as live until
// the next mark-compact frees it. So each entry that was in the map at a
// rebuild (a request in flight, and all its promise reaches: the delivery,
// the event's text, the action's frame) outlived its scavenges and was
// promoted, though it was answered milliseconds later. Measured with
// HOOKER_HTTP_THREAD at an offered 1,000 events/s: the main thread promoted
// 4.6-5.3 KB per event with a Map of pending requests, 2.8-3.6 KB with this
// (issue 12, BENCHMARKS.md "session 15: where the targets stand").
//
// Here the Map is replaced by a copy of itself every `every` insertions, while
// it holds no more entries than that: the copy is young and is replaced again
// before it is old enough to be promoted. The copy costs at most one entry
// moved per insertion; a map grown larger than `every` is left as it is.

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

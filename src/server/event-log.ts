// The most recent events and what happened to them, for GET /events.

import type { DeliveryRecord } from '../delivery/scheduler.js';

export interface EventEntry {
  eventId: string;
  receivedAt: string;
  hops: number;
  matched: string[];
  skipped: Array<{ route: string; reason: string }>;
  deliveries: DeliveryRecord[];
}

/**
 * An entry as logged: its time as milliseconds since the epoch, written as
 * ISO text only when the log is read (every accepted event is logged, the
 * log is read rarely: the text and its Date were per-event garbage).
 */
export interface LoggedEvent extends Omit<EventEntry, 'receivedAt'> {
  receivedMs: number;
}

export class EventLog {
  /** The last `capacity` entries, a ring: `next` is where the next one goes (the oldest once the ring is full). */
  private readonly ring: LoggedEvent[] = [];
  private next = 0;
  // No map by event id beside the ring: at 1,000 events/s a Map of the last
  // 200 ids rehashed into a fresh table every few hundred events, each table
  // lived past two scavenges and, once replaced, kept the entries it had
  // pointed to (and their delivery records) promoted until a mark-compact
  // (issue 12, target 2b: BENCHMARKS.md "session 15: alloc"). `record` finds an
  // entry by its id in the ring instead (see `ascending`).

  /**
   * @param fedRecords true when the server passes every delivery record to
   *   `record` (server.ts wires the scheduler's records in): an entry's first
   *   attempts are then filled in as they finish, and ingest does not track
   *   each event's first attempts to fill them in itself (the scheduler's
   *   `done`, which costs every event a waiter until its deliveries ran, while
   *   the log keeps only the last `capacity` events).
   */
  constructor(private readonly capacity = 200, readonly fedRecords = false) {}

  /**
   * How many of the latest entries were each added with an id greater than
   * the one before: while that covers the whole ring its ids ascend from its
   * oldest entry, and `record` finds an entry by binary search. The server's
   * event ids are time-ordered (store/time-ordered-id.ts) and logged in the
   * order they were made, so in a server this always holds.
   */
  private ascending = 0;
  private lastId: string | undefined;

  add(entry: LoggedEvent): LoggedEvent {
    if (this.capacity <= 0) return entry;
    this.ascending = this.lastId !== undefined && entry.eventId > this.lastId ? this.ascending + 1 : 1;
    this.lastId = entry.eventId;
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    return entry;
  }

  /** A delivery attempt's record: a first attempt of a logged event is added to its entry. */
  record(r: DeliveryRecord): void {
    if (r.attempt !== 1) return;
    const n = this.ring.length;
    if (n > 0 && this.ascending >= n) {
      // Ids ascend from the oldest entry (at `next` once the ring is full): a binary search. Looking from the newest
      // entry back compared up to `capacity` ids for every delivery of an event the ring no longer holds, which is
      // every delivery once they run a few hundred events behind ingest (issue 12: ~4.5 % of the event loop,
      // BENCHMARKS.md "session 17: loop").
      const start = this.next % n;
      const id = r.eventId;
      let lo = 0;
      let hi = n - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const e = this.ring[(start + mid) % n]!;
        if (e.eventId === id) { e.deliveries.push(r); return; }
        if (e.eventId < id) lo = mid + 1; else hi = mid - 1;
      }
      return;
    }
    for (let i = 1; i <= n; i++) {
      const e = this.ring[(this.next - i + n) % n]!;
      if (e.eventId === r.eventId) { e.deliveries.push(r); return; }
    }
  }

  /** The last `limit` entries, newest first. */
  recent(limit = 50): EventEntry[] {
    const n = Math.min(Math.max(limit, 0), this.ring.length);
    const out: EventEntry[] = [];
    for (let i = 1; i <= n; i++) {
      const e = this.ring[(this.next - i + this.ring.length) % this.ring.length]!;
      out.push({ eventId: e.eventId, receivedAt: new Date(e.receivedMs).toISOString(), hops: e.hops, matched: e.matched, skipped: e.skipped, deliveries: e.deliveries });
    }
    return out;
  }
}

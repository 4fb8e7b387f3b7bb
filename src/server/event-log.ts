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
  // (issue 12, target 2b: BENCHMARKS.md "session 15: alloc"). `record` looks
  // from the newest entry back instead: a first attempt comes for one of the
  // last few events unless deliveries are behind.

  /**
   * @param fedRecords true when the server passes every delivery record to
   *   `record` (server.ts wires the scheduler's records in): an entry's first
   *   attempts are then filled in as they finish, and ingest does not track
   *   each event's first attempts to fill them in itself (the scheduler's
   *   `done`, which costs every event a waiter until its deliveries ran, while
   *   the log keeps only the last `capacity` events).
   */
  constructor(private readonly capacity = 200, readonly fedRecords = false) {}

  add(entry: LoggedEvent): LoggedEvent {
    if (this.capacity <= 0) return entry;
    if (this.ring.length < this.capacity) this.ring.push(entry);
    else this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    return entry;
  }

  /** A delivery attempt's record: a first attempt of a logged event is added to its entry. */
  record(r: DeliveryRecord): void {
    if (r.attempt !== 1) return;
    const n = this.ring.length;
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

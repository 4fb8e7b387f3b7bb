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

export class EventLog {
  private readonly entries: EventEntry[] = [];
  /** The logged entries by event id, for `record`. */
  private readonly byId = new Map<string, EventEntry>();

  /**
   * @param fedRecords true when the server passes every delivery record to
   *   `record` (server.ts wires the scheduler's records in): an entry's first
   *   attempts are then filled in as they finish, and ingest does not track
   *   each event's first attempts to fill them in itself (the scheduler's
   *   `done`, which costs every event a waiter until its deliveries ran, while
   *   the log keeps only the last `capacity` events).
   */
  constructor(private readonly capacity = 200, readonly fedRecords = false) {}

  add(entry: EventEntry): EventEntry {
    this.entries.push(entry);
    this.byId.set(entry.eventId, entry);
    if (this.entries.length > this.capacity) this.byId.delete(this.entries.shift()!.eventId);
    return entry;
  }

  /** A delivery attempt's record: a first attempt of a logged event is added to its entry. */
  record(r: DeliveryRecord): void {
    if (r.attempt !== 1) return;
    this.byId.get(r.eventId)?.deliveries.push(r);
  }

  recent(limit = 50): EventEntry[] {
    return this.entries.slice(-limit).reverse();
  }
}

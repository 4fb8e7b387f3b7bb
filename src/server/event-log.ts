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
  constructor(private readonly capacity = 200) {}

  add(entry: EventEntry): EventEntry {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.shift();
    return entry;
  }

  recent(limit = 50): EventEntry[] {
    return this.entries.slice(-limit).reverse();
  }
}

// Buffers of aggregating routes (aggregate-message-number/-timeout): rendered
// messages wait here, persisted, until a count or an age flushes them into
// one delivery. Items are added with their event (DeliveryStore.insertPlan)
// and removed with the delivery that carries them.

import type { RenderedMessage } from '../actions/types.js';
import type { SqliteDatabase } from './db.js';
import { migrateCore } from './schema.js';

export interface AggregateItem {
  id: number;
  eventId: string;
  message: RenderedMessage;
  createdAt: number;
}

export class AggregateStore {
  constructor(private readonly db: SqliteDatabase) {
    migrateCore(db);
  }

  items(route: string, limit = 10_000): AggregateItem[] {
    const rows = this.db.prepare('SELECT id, event_id, message, created_at FROM aggregate_items WHERE route = ? ORDER BY id LIMIT ?').all(route, limit) as
      Array<{ id: number; event_id: string; message: string; created_at: number }>;
    return rows.map((r) => ({ id: r.id, eventId: r.event_id, message: JSON.parse(r.message) as RenderedMessage, createdAt: r.created_at }));
  }

  count(route: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM aggregate_items WHERE route = ?').get(route) as { n: number }).n;
  }

  oldest(route: string): number | undefined {
    const row = this.db.prepare('SELECT MIN(created_at) AS t FROM aggregate_items WHERE route = ?').get(route) as { t: number | null };
    return row.t ?? undefined;
  }

  /** Routes with buffered items (a restart re-arms their timers). */
  routes(): string[] {
    return (this.db.prepare('SELECT DISTINCT route FROM aggregate_items').all() as Array<{ route: string }>).map((r) => r.route);
  }
}

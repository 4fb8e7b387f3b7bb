// Buffers of aggregating routes (aggregate-message-number/-timeout) in
// SQLite: rendered messages wait here until a count or an age flushes them
// into one delivery, committed in the transaction that removes them.

import type { RenderedMessage } from '../../actions/types.js';
import type { EventPlan } from '../../delivery/plan.js';
import type { AggregateItem, AggregateRows } from '../types.js';
import type { SqliteDatabase } from './db.js';
import type { SqliteDeliveryRows } from './delivery-rows.js';
import { migrateCore } from './schema.js';

export class SqliteAggregateRows implements AggregateRows {
  constructor(private readonly db: SqliteDatabase, private readonly deliveries: SqliteDeliveryRows) {
    migrateCore(db);
  }

  private itemsNow(route: string, limit: number): AggregateItem[] {
    const rows = this.db.prepare('SELECT id, event_id, message, created_at FROM aggregate_items WHERE route = ? ORDER BY id LIMIT ?').all(route, limit) as
      Array<{ id: number; event_id: string; message: string; created_at: number }>;
    return rows.map((r) => ({ id: r.id, eventId: r.event_id, message: JSON.parse(r.message) as RenderedMessage, createdAt: r.created_at }));
  }

  async count(route: string): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM aggregate_items WHERE route = ?').get(route) as { n: number }).n;
  }

  async oldest(route: string): Promise<number | undefined> {
    const row = this.db.prepare('SELECT MIN(created_at) AS t FROM aggregate_items WHERE route = ?').get(route) as { t: number | null };
    return row.t ?? undefined;
  }

  async routes(): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT route FROM aggregate_items').all() as Array<{ route: string }>).map((r) => r.route);
  }

  async flush(route: string, limit: number, build: (items: AggregateItem[]) => EventPlan | undefined): Promise<number> {
    const del = this.db.prepare('DELETE FROM aggregate_items WHERE id IN (SELECT value FROM json_each(?))');
    return this.db.transaction(() => {
      const items = this.itemsNow(route, limit);
      if (items.length === 0) return 0;
      const plan = build(items);
      if (!plan) return 0;
      this.deliveries.insertPlansNow([plan]);
      del.run(JSON.stringify(items.map((i) => i.id)));
      return items.length;
    }).immediate();
  }
}

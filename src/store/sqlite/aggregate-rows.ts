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
    return this.db.transaction(() => {
      const items = this.itemsNow(route, limit);
      if (items.length === 0) return 0;
      const plan = build(items);
      if (!plan) return 0;
      this.commitFlushNow(items.map((i) => i.id), plan);
      return items.length;
    }).immediate();
  }

  /**
   * flush() in two steps, for a caller on another thread than the connection
   * (the SQLite writer thread): the items a flush would take, then their plan
   * committed with their removal. The commit takes nothing if any of the items
   * is gone meanwhile (another flush of the route took it first).
   */
  async peek(route: string, limit: number): Promise<AggregateItem[]> {
    return this.itemsNow(route, limit);
  }

  async commitFlush(ids: number[], plan: EventPlan): Promise<number> {
    try {
      this.db.transaction(() => this.commitFlushNow(ids, plan)).immediate();
      return ids.length;
    } catch (e) {
      if (e instanceof FlushRaced) return 0;
      throw e;
    }
  }

  /** Removes the items and commits their plan, inside the caller's transaction. */
  private commitFlushNow(ids: number[], plan: EventPlan): void {
    const removed = this.db.prepare('DELETE FROM aggregate_items WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids)).changes;
    // Thrown to roll the transaction back: the plan is not committed without all of its items.
    if (removed !== ids.length) throw new FlushRaced();
    this.deliveries.insertPlansNow([plan]);
  }
}

/** One of a flush's items was taken by another flush of the route after it was read. */
class FlushRaced extends Error {}

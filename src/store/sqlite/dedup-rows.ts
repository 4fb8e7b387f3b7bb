// Dedup keys of routes with unique-message-props in SQLite. Keys are taken
// with the event they admitted (SqliteDeliveryRows.insertPlans), so a crash
// never remembers a key for an event that was not accepted.

import type { DedupRows } from '../types.js';
import type { SqliteDatabase } from './db.js';
import { migrateCore } from './schema.js';

export class SqliteDedupRows implements DedupRows {
  constructor(private readonly db: SqliteDatabase) {
    migrateCore(db);
  }

  async purgeExpired(now = Date.now()): Promise<number> {
    return this.db.prepare('DELETE FROM dedup_keys WHERE expires_at <= ?').run(now).changes;
  }

  async liveCount(now = Date.now()): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM dedup_keys WHERE expires_at > ?').get(now) as { n: number }).n;
  }
}

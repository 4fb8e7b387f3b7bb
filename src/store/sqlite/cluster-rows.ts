// "Once" records for SQLite. One process owns the file, so leadership is
// always granted; schedule ticks are still recorded so a restart inside a
// tick does not fire it twice.

import type { ClusterRows, Leadership } from '../types.js';
import type { SqliteDatabase } from './db.js';
import { migrateCore } from './schema.js';

export class SqliteClusterRows implements ClusterRows {
  constructor(private readonly db: SqliteDatabase) {
    migrateCore(db);
  }

  async claimTick(name: string, tick: number): Promise<boolean> {
    const taken = this.db.prepare('INSERT INTO schedule_ticks (name, tick) VALUES (?, ?) ON CONFLICT DO NOTHING').run(name, tick).changes === 1;
    // Only the latest ticks matter; older ones are dropped as new ones come.
    if (taken) this.db.prepare('DELETE FROM schedule_ticks WHERE name = ? AND tick < ?').run(name, tick);
    return taken;
  }

  async tryLead(): Promise<Leadership> {
    return { held: () => true, release: async () => {} };
  }
}

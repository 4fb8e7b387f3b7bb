// Postee's unique-message-props, kept in SQLite: a key per route built from
// the listed event paths, live until it expires. Keys are written with the
// event they admitted (see DeliveryStore.insertPlan), so a crash never
// remembers a key for an event that was not accepted.

import { createHash } from 'node:crypto';
import type { SqliteDatabase } from './db.js';
import { migrateCore } from './schema.js';

/** Without unique-message-timeout a key lives this long (Postee kept them until the store was emptied). */
export const DEFAULT_DEDUP_TTL_MS = 24 * 3_600_000;

export function dedupKey(event: unknown, props: string[]): string {
  const values = props.map((p) => lookupPath(event, p) ?? null);
  return createHash('sha256').update(JSON.stringify(values)).digest('hex');
}

/** Dot paths as Postee writes them (`image`, `vulnerability_summary.critical`). */
export function lookupPath(event: unknown, path: string): unknown {
  let cur = event;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

export class DedupStore {
  constructor(private readonly db: SqliteDatabase) {
    migrateCore(db);
  }

  /** True while a key admitted earlier has not expired. */
  isLive(route: string, key: string, now = Date.now()): boolean {
    const row = this.db.prepare('SELECT expires_at FROM dedup_keys WHERE route = ? AND key = ?').get(route, key) as { expires_at: number } | undefined;
    return row !== undefined && row.expires_at > now;
  }

  purgeExpired(now = Date.now()): number {
    return this.db.prepare('DELETE FROM dedup_keys WHERE expires_at <= ?').run(now).changes;
  }

  liveCount(now = Date.now()): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM dedup_keys WHERE expires_at > ?').get(now) as { n: number }).n;
  }
}

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
  /**
   * Keys admitted since the last purge, so a repeat in the same burst (before
   * its plan is committed) is caught too; the table stays the source of truth.
   */
  private readonly recent = new Map<string, number>();

  constructor(private readonly db: SqliteDatabase) {
    migrateCore(db);
  }

  remember(k: { route: string; key: string; expiresAt: number }): void {
    this.recent.set(`${k.route}\u0000${k.key}`, k.expiresAt);
    if (this.recent.size > 50_000) this.recent.clear();
  }

  /** Drops remembered keys whose event could not be stored (so the sender's retry is not taken for a repeat). */
  forget(k: { route: string; key: string }): void {
    this.recent.delete(`${k.route}\u0000${k.key}`);
  }

  /** True while a key admitted earlier has not expired. */
  isLive(route: string, key: string, now = Date.now()): boolean {
    const mem = this.recent.get(`${route}\u0000${key}`);
    if (mem !== undefined && mem > now) return true;
    const row = this.db.prepare('SELECT expires_at FROM dedup_keys WHERE route = ? AND key = ?').get(route, key) as { expires_at: number } | undefined;
    return row !== undefined && row.expires_at > now;
  }

  purgeExpired(now = Date.now()): number {
    for (const [k, t] of this.recent) if (t <= now) this.recent.delete(k);
    return this.db.prepare('DELETE FROM dedup_keys WHERE expires_at <= ?').run(now).changes;
  }

  liveCount(now = Date.now()): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM dedup_keys WHERE expires_at > ?').get(now) as { n: number }).n;
  }
}

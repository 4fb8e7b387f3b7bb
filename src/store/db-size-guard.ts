// max-db-size of cfg.yaml (Postee: "300MB", "1GB"; empty or 0 is unlimited).
// Over the limit, expired dedup keys and then the oldest finished events go
// first. Undelivered events and live dedup keys are never dropped: when only
// they remain, the guard says so in the log and the metrics instead.
// What is limited is the bytes of Hooker's rows (Store.liveBytes): on SQLite
// the pages in use; on PostgreSQL the rows' own size, since its files keep
// a deleted row's space for reuse rather than giving it back, so the size on
// disk would stay over the limit whatever was removed.

import type { Store } from './types.js';

const UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, K: 1024, MB: 1024 ** 2, M: 1024 ** 2, GB: 1024 ** 3, G: 1024 ** 3 };

/** Bytes, undefined for unlimited; throws on a malformed size. */
export function parseDbSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?B?)\s*$/i.exec(String(text));
  if (!m) throw new Error(`max-db-size "${text}" must be a size such as 300MB or 1GB`);
  const bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  return bytes > 0 ? bytes : undefined;
}

interface GuardMetrics {
  evicted: { inc(labels: { kind: string }, n?: number): void };
  dbBytes: { set(n: number): void };
}

export class DbSizeGuard {
  private warnedFull = false;

  constructor(
    private readonly store: Store,
    private readonly opts: { log: (line: string) => void; metrics?: GuardMetrics },
  ) {}

  /** Bytes the limit counts (see the top of this file). */
  usedBytes(): Promise<number> {
    return this.store.liveBytes();
  }

  /** Evicts until under `maxDbSize`; returns the number of events removed. */
  async check(maxDbSize: string | undefined): Promise<number> {
    // The size on disk is never below the rows' size: under the limit, nothing to weigh.
    const onDisk = await this.store.usedBytes();
    this.opts.metrics?.dbBytes.set(onDisk);
    const limit = parseDbSize(maxDbSize);
    if (limit === undefined || onDisk <= limit) { this.warnedFull = false; return 0; }
    if (await this.store.liveBytes() <= limit) { this.warnedFull = false; return 0; }
    const keys = await this.store.dedup.purgeExpired();
    if (keys) this.opts.metrics?.evicted.inc({ kind: 'dedup_key' }, keys);
    const { events: removed, live } = await this.store.evictFinished(limit);
    if (removed) {
      this.opts.metrics?.evicted.inc({ kind: 'event' }, removed);
      this.opts.log(`max-db-size ${maxDbSize}: removed ${removed} finished events (oldest first)`);
    }
    if (live > limit) {
      this.opts.metrics?.evicted.inc({ kind: 'none_possible' });
      if (!this.warnedFull) {
        this.opts.log(`max-db-size ${maxDbSize}: the database holds ${live} bytes of undelivered events and live dedup keys; nothing is dropped, raise max-db-size or fix the failing actions`);
        this.warnedFull = true;
      }
    } else {
      this.warnedFull = false;
    }
    return removed;
  }
}

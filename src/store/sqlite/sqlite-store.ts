// The SQLite backend of the Store: one file, one process (the default).

import type { Store, StoreHealth } from '../types.js';
import { openDatabase, type SqliteDatabase } from './db.js';
import { SqliteDeliveryRows } from './delivery-rows.js';
import { SqliteDedupRows } from './dedup-rows.js';
import { SqliteAggregateRows } from './aggregate-rows.js';
import { SqliteScanRows } from './scan-rows.js';
import { SqliteClusterRows } from './cluster-rows.js';
import { startCheckpointer, type Checkpointer } from './checkpoint-worker.js';
import { ConsoleQueries } from '../console-queries.js';

export interface SqliteStoreOptions {
  synchronous?: 'normal' | 'full';
  /** Checkpoint the WAL from a worker thread (default for files); false keeps SQLite's automatic checkpoints. */
  checkpointWorker?: boolean;
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly deliveries: SqliteDeliveryRows;
  readonly dedup: SqliteDedupRows;
  readonly aggregates: SqliteAggregateRows;
  readonly scans: SqliteScanRows;
  readonly cluster: SqliteClusterRows;
  readonly console: ConsoleQueries;
  private readonly checkpointer?: Checkpointer;

  constructor(readonly db: SqliteDatabase, readonly location: string, checkpointer?: Checkpointer) {
    this.deliveries = new SqliteDeliveryRows(db);
    this.dedup = new SqliteDedupRows(db);
    this.aggregates = new SqliteAggregateRows(db, this.deliveries);
    this.scans = new SqliteScanRows(db);
    this.cluster = new SqliteClusterRows(db);
    this.console = new ConsoleQueries(db);
    this.checkpointer = checkpointer;
  }

  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const file = path !== ':memory:' && !path.startsWith('file:');
    const worker = file && (opts.checkpointWorker ?? true);
    const db = openDatabase(path, { synchronous: opts.synchronous, autoCheckpoint: !worker });
    // The server's own checkpoint of what the worker left: between two commits, so its next one starts the WAL over.
    const finish = () => { try { if (db.open) db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the worker asks again */ } };
    return new SqliteStore(db, path, worker ? startCheckpointer(path, finish) : undefined);
  }

  onWork(): () => void {
    return () => {};
  }

  notifyWork(): void {}

  async usedBytes(): Promise<number> {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * size;
  }

  async liveBytes(): Promise<number> {
    return this.usedBytes();
  }

  async evictFinished(limit: number): Promise<{ events: number; live: number }> {
    let events = 0;
    // Small batches so no more than needed is removed.
    while (await this.usedBytes() > limit) {
      const n = await this.deliveries.purgeFinished({ limit: 50 });
      if (n === 0) break;
      events += n;
    }
    return { events, live: await this.usedBytes() };
  }

  health(): StoreHealth {
    return { ok: this.db.open };
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }
}

// Opening Hooker's SQLite file (inbox, deliveries, dedup keys, aggregation
// buffers, scan history) and its append-only migrations, recorded per set.

import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Database, type SqliteDatabase } from './driver.js';

export type { SqliteDatabase };

/** Bytes the WAL file is truncated to when a writer starts it over after a complete checkpoint. */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

export interface OpenDatabaseOptions {
  /** Milliseconds a writer waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** NORMAL (default) keeps commits across a process crash; FULL also across an OS crash. */
  synchronous?: 'normal' | 'full';
  /**
   * false: commits never run a WAL checkpoint themselves (the server
   * checkpoints from a worker thread instead, off the event loop).
   */
  autoCheckpoint?: boolean;
}

/**
 * Opens (creating its directory when needed) a SQLite file in WAL mode, so
 * readers never block the writer and a crash loses nothing that was committed.
 * `:memory:` is accepted for tests.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (path !== ':memory:' && !path.startsWith('file:') && !options.readonly) restrictFiles(path);
  const db = new Database(path, { readonly: options.readonly ?? false });
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode keeps every committed transaction across a process
    // crash (only an OS crash may lose the last ones), at a fraction of FULL's cost.
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
    // A WAL that grew while readers held it back is cut to this size when it starts over.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  }
  db.pragma('foreign_keys = ON');
  // Statement journals (a statement that fires triggers, such as the delivery
  // counters' of core step 6, keeps one to undo itself) in memory, not in temp files:
  // in files they doubled the system time of every commit.
  db.pragma('temp_store = MEMORY');
  ensureMigrationTable(db);
  return db;
}

/**
 * The database holds every event: only Hooker's user may read it, whatever
 * the umask. A directory created here is 0700; the file is created 0600
 * before SQLite opens it (SQLite gives its -wal and -shm files the mode of
 * the database file), and a file an older version left readable is
 * narrowed to 0600 with its -wal/-shm.
 */
function restrictFiles(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    try { chmodSync(f, 0o600); } catch { /* absent (-wal/-shm), or not ours to change */ }
  }
}

function ensureMigrationTable(db: SqliteDatabase): void {
  if (db.readonly) return;
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (name, step)
  )`);
}

/**
 * Applies, in order, the steps of migration set `name` that this file has not
 * seen yet; each step runs in its own transaction together with its record.
 * Steps are append-only: never edit one that shipped, add a new one.
 * Returns how many steps were applied now.
 */
export function migrate(db: SqliteDatabase, name: string, steps: readonly string[]): number {
  ensureMigrationTable(db);
  const applied = db.prepare('SELECT COALESCE(MAX(step), -1) AS last FROM schema_migrations WHERE name = ?').get(name) as { last: number };
  const record = db.prepare('INSERT INTO schema_migrations (name, step, applied_at) VALUES (?, ?, ?)');
  let count = 0;
  for (let step = applied.last + 1; step < steps.length; step++) {
    const sql = steps[step]!;
    db.transaction(() => {
      db.exec(sql);
      record.run(name, step, Date.now());
    }).immediate();
    count++;
  }
  return count;
}

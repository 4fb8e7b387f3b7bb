// Picks the storage engine from HOOKER_DB: a postgres:// (or postgresql://)
// URL shares one PostgreSQL database between replicas; anything else is a
// SQLite file owned by this one process (the default).

import type { Store } from './types.js';
import type { ServerSettings } from '../config/env.js';
import { SqliteStore } from './sqlite/sqlite-store.js';

export interface StoreOptions {
  /** SQLite: NORMAL (default) or FULL. */
  synchronous?: 'normal' | 'full';
  /** PostgreSQL: connections in the pool. */
  poolSize?: number;
  /** PostgreSQL: a statement running longer than this is cancelled. */
  statementTimeoutMs?: number;
  /**
   * SQLite: run every statement in one worker thread (threaded-store.ts)
   * instead of on the event loop (the default here; the server passes its
   * settings' choice, HOOKER_SQLITE_THREAD: src/config/worker-threads.ts).
   */
  sqliteThread?: boolean;
  /** Structured warnings (connection lost and back). */
  log?: (line: string) => void;
}

/** The store options of the server's settings (HOOKER_DB_SYNCHRONOUS, HOOKER_SQLITE_THREAD, the PostgreSQL pool size and statement timeout). */
export function storeOptionsOf(settings: Pick<ServerSettings, 'dbSynchronous' | 'dbPoolSize' | 'dbStatementTimeoutMs' | 'workerThreads'>):
  Pick<StoreOptions, 'synchronous' | 'sqliteThread' | 'poolSize' | 'statementTimeoutMs'> {
  return {
    synchronous: settings.dbSynchronous,
    sqliteThread: settings.workerThreads.sqlite,
    ...(settings.dbPoolSize ? { poolSize: settings.dbPoolSize } : {}),
    ...(settings.dbStatementTimeoutMs ? { statementTimeoutMs: settings.dbStatementTimeoutMs } : {}),
  };
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location with any password replaced, for logs and errors. */
export function redactLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const u = new URL(location);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openStore(location: string, opts: StoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(location)) {
    const { PostgresStore } = await import('./postgres/postgres-store.js');
    return PostgresStore.open(location, opts);
  }
  if (opts.sqliteThread) {
    const { ThreadedSqliteStore } = await import('./sqlite/threaded-store.js');
    return ThreadedSqliteStore.open(location, { synchronous: opts.synchronous });
  }
  return SqliteStore.open(location, { synchronous: opts.synchronous });
}

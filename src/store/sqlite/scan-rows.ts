// The durable scan queue and history in Hooker's SQLite file. A scan row is
// written before it is acknowledged, moves queued -> running -> terminal, and
// survives restarts: `recover()` decides what a crash interrupted (every
// running scan: one process owns the file).

import { randomUUID } from 'node:crypto';
import { migrate, type SqliteDatabase } from './db.js';
import type { ScanOutcome, ScanRecord, ScanRequest, ScanState } from '../../scan/types.js';
import type { Lease, ScanRows } from '../types.js';
import { scanOf, type ScanRow } from '../row-mapping.js';

const MIGRATIONS = [
  `CREATE TABLE scans (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    scanner TEXT NOT NULL,
    target_key TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    outcome TEXT
  );
  CREATE INDEX scans_by_state ON scans (state, created_at);
  CREATE INDEX scans_active_target ON scans (target_key) WHERE state IN ('queued', 'running');`,
  // Who runs a scan and until when, as for deliveries (shared with the PostgreSQL schema).
  `ALTER TABLE scans ADD COLUMN claimed_by TEXT;
  ALTER TABLE scans ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;`,
];

export class SqliteScanRows implements ScanRows {
  constructor(private readonly db: SqliteDatabase, private readonly now: () => number = Date.now) {
    migrate(db, 'scans', MIGRATIONS);
  }

  /** Queues a scan unless one of the same target is queued or running; then returns that one. */
  async enqueue(request: ScanRequest, targetKey: string): Promise<{ record: ScanRecord; existing: boolean }> {
    return this.db.transaction(() => {
      const active = this.db.prepare(`SELECT * FROM scans WHERE target_key = ? AND state IN ('queued','running') ORDER BY created_at LIMIT 1`).get(targetKey) as ScanRow | undefined;
      if (active) return { record: scanOf(active), existing: true };
      const id = randomUUID();
      this.db.prepare('INSERT INTO scans (id, state, scanner, target_key, request, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, 'queued', request.scanner, targetKey, JSON.stringify(request), this.now());
      return { record: this.getNow(id)!, existing: false };
    }).immediate();
  }

  /** Marks the oldest queued scan running and returns it. */
  async claimNext(lease: Lease): Promise<ScanRecord | undefined> {
    return this.db.transaction(() => {
      const row = this.db.prepare(`SELECT id FROM scans WHERE state = 'queued' ORDER BY created_at, rowid LIMIT 1`).get() as { id: string } | undefined;
      if (!row) return undefined;
      this.db.prepare(`UPDATE scans SET state = 'running', started_at = ?, attempts = attempts + 1, claimed_by = ?, lease_until = ? WHERE id = ?`)
        .run(this.now(), lease.owner, lease.until, row.id);
      return this.getNow(row.id);
    }).immediate();
  }

  async finish(id: string, state: Extract<ScanState, 'passed' | 'failed' | 'error'>, outcome?: ScanOutcome, error?: string): Promise<void> {
    this.db.prepare('UPDATE scans SET state = ?, finished_at = ?, outcome = ?, error = ? WHERE id = ?')
      .run(state, this.now(), outcome ? JSON.stringify(outcome) : null, error ?? null, id);
  }

  async get(id: string): Promise<ScanRecord | undefined> {
    return this.getNow(id);
  }

  private getNow(id: string): ScanRecord | undefined {
    const row = this.db.prepare('SELECT * FROM scans WHERE id = ?').get(id) as ScanRow | undefined;
    return row && scanOf(row);
  }

  async outcome(id: string): Promise<ScanOutcome | undefined> {
    const row = this.db.prepare('SELECT outcome FROM scans WHERE id = ?').get(id) as { outcome: string | null } | undefined;
    return row?.outcome ? JSON.parse(row.outcome) as ScanOutcome : undefined;
  }

  async countByState(state: ScanState): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM scans WHERE state = ?').get(state) as { n: number }).n;
  }

  /**
   * After a restart nothing is running: scans that were are queued again (resumed)
   * while they have attempts left, else marked error with the reason.
   */
  async recover(maxAttempts: number): Promise<{ resumed: string[]; failed: string[] }> {
    return this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT id, attempts FROM scans WHERE state = 'running'`).all() as Array<{ id: string; attempts: number }>;
      const resumed: string[] = [];
      const failed: string[] = [];
      for (const r of rows) {
        if (r.attempts < maxAttempts) {
          this.db.prepare(`UPDATE scans SET state = 'queued', started_at = NULL WHERE id = ?`).run(r.id);
          resumed.push(r.id);
        } else {
          this.db.prepare(`UPDATE scans SET state = 'error', finished_at = ?, error = ? WHERE id = ?`)
            .run(this.now(), `interrupted by a restart after ${r.attempts} attempt(s); not resumed again`, r.id);
          failed.push(r.id);
        }
      }
      return { resumed, failed };
    }).immediate();
  }
}

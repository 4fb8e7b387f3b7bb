// The SQLite file's WAL under steady commits (issue 12): the checkpoint
// worker copies it into the database and the server's own commits start it
// over, so it stays bounded, and no commit waits on (or fails because of)
// the checkpoint. Before, a checkpoint in the worker always ended while the
// server kept committing, the WAL never started over, grew by hundreds of MB
// and a TRUNCATE checkpoint at 200 MB held commits off for seconds.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** The WAL header's checkpoint sequence number: SQLite adds one each time the WAL starts over from its beginning. */
function walRestarts(path: string): number {
  return readFileSync(`${path}-wal`).subarray(0, 32).readUInt32BE(12);
}

describe('SQLite WAL with the checkpoint worker', () => {
  it('starts over once the worker has copied it, while commits go on, and stays bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-wal-'));
    const path = join(dir, 'hooker.db');
    const store = SqliteStore.open(path);
    try {
      store.db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, v TEXT)');
      const insert = store.db.prepare('INSERT INTO filler (v) VALUES (?)');
      const commit = (rows: number) => store.db.transaction(() => { for (let i = 0; i < rows; i++) insert.run('x'.repeat(3_000)); }).immediate();
      const before = walRestarts(path);
      // About 56 MiB of pages (over the 48 MiB at which the worker hands back), committed with turns of the event loop between.
      for (let i = 0; i < 1_900; i++) {
        commit(10);
        if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      // Commits go on without a pause long enough for a checkpoint in another thread to end between two of them
      // (one every millisecond or so, as under steady ingest): the WAL still starts over, and no commit fails.
      const end = Date.now() + 20_000;
      while (walRestarts(path) === before && Date.now() < end) {
        commit(1);
        await new Promise((r) => setTimeout(r, 1));
      }
      expect(walRestarts(path)).toBeGreaterThan(before);
      // journal_size_limit: the restarted WAL file is cut to 64 MiB at most.
      expect(statSync(`${path}-wal`).size).toBeLessThanOrEqual(64 * 1024 * 1024);
      expect((store.db.prepare('SELECT COUNT(*) AS n FROM filler').get() as { n: number }).n).toBeGreaterThanOrEqual(19_000);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// WAL checkpoints in a worker thread. With wal_autocheckpoint on, the commit
// that crosses 1000 pages copies the WAL into the database and fsyncs it on
// the event loop, stalling ingest; here a second connection does it on a
// timer in its own thread, and commits only append to the WAL.

import { Worker } from 'node:worker_threads';

// CommonJS source run with eval: it resolves better-sqlite3 from this module's location.
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { createRequire } = require('node:module');
const Database = createRequire(workerData.base)('better-sqlite3');
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
let stopping = false;
const tick = () => {
  if (stopping) return;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // A WAL that keeps growing (readers pinned it) is truncated when it can be.
    if (r && r.log > 50000 && r.checkpointed === r.log) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (e) { /* busy: the next tick tries again */ }
  setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (m) => { if (m === 'stop') { stopping = true; try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); process.exit(0); } });
tick();
`;

export interface Checkpointer { stop(): Promise<void> }

export function startCheckpointer(path: string, intervalMs = 200): Checkpointer {
  const worker = new Worker(SOURCE, { eval: true, workerData: { path, intervalMs, base: import.meta.url } });
  worker.unref();
  worker.on('error', (e) => process.stderr.write(`hooker: WAL checkpoint worker failed: ${e.message}\n`));
  return {
    stop: () => new Promise<void>((resolve) => {
      const t = setTimeout(() => { void worker.terminate().then(() => resolve()); }, 2_000);
      worker.once('exit', () => { clearTimeout(t); resolve(); });
      worker.postMessage('stop');
    }),
  };
}

// WAL checkpoints in a worker thread. With wal_autocheckpoint on, the commit
// that crosses 1000 pages copies the WAL into the database and fsyncs it on
// the event loop, stalling ingest; here a second connection does it on a
// timer in its own thread, and commits only append to the WAL.

import { Worker } from 'node:worker_threads';
import { sqliteEntry } from './driver.js';

// CommonJS source run with eval: it loads the driver driver.ts chose, by path.
// The two checkpoint statements are prepared once (no statement per tick for
// the garbage collector), and stopping lets the thread end on its own rather
// than through process.exit in the middle of native calls.
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
let timer;
const tick = () => {
  try {
    const r = passive.get();
    // A WAL that keeps growing (readers pinned it) is truncated when it can be.
    if (r && r.log > 50000 && r.checkpointed === r.log) truncate.get();
  } catch (e) { /* busy: the next tick tries again */ }
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  try { passive.get(); } catch {}
  db.close();
  parentPort.close();
});
tick();
`;

export interface Checkpointer { stop(): Promise<void> }

export function startCheckpointer(path: string, intervalMs = 200): Checkpointer {
  const worker = new Worker(SOURCE, { eval: true, workerData: { path, intervalMs, sqlite: sqliteEntry } });
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

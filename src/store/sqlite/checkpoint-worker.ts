// WAL checkpoints in a worker thread. With wal_autocheckpoint on, the commit
// that crosses 1000 pages copies the WAL into the database and fsyncs it on
// the event loop, stalling ingest; here a second connection does it on a
// timer in its own thread, and commits only append to the WAL.
//
// SQLite starts the WAL over from its beginning only when a write begins
// with every frame already copied. A checkpoint in another thread ends while
// the server keeps committing, so under steady ingest that never happened:
// the WAL grew by hundreds of MB a minute, and the TRUNCATE checkpoint that
// cut it held off the server's commits for seconds (ingest answered 503
// "database is locked"; issue 12). Now the worker copies the bulk, again at
// once while a round still finds much that is new, and once the WAL is over
// RESTART_FRAMES and a round had little left to copy it hands back: the
// server runs one PASSIVE checkpoint itself between two of its commits
// (copying the few frames left, without waiting on anyone), and its next
// commit starts the WAL over. journal_size_limit (db.ts) trims the file then.

import { Worker } from 'node:worker_threads';
import { sqliteEntry } from './driver.js';

// CommonJS source run with eval: it loads the driver driver.ts chose, by path.
// The checkpoint statement is prepared once (no statement per tick for
// the garbage collector), and stopping lets the thread end on its own rather
// than through process.exit in the middle of native calls.
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 1000');
// A checkpoint copies WAL frames through its own buffer, not the page cache:
// better-sqlite3's 16 MiB default cache would hold only what reads touched.
db.pragma('cache_size = -512');
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
let timer;
let last = 0;
const tick = () => {
  let delay = workerData.intervalMs;
  try {
    const r = passive.get();
    if (r && r.log > 0 && r.checkpointed === r.log) {
      // Frames this round copied: appended since the last round (or since the WAL started over).
      const fresh = r.log >= last ? r.log - last : r.log;
      last = r.log;
      // Little left: the server finishes between two commits. Much: another round at once (never the bulk on the server's thread).
      if (r.log >= workerData.restartFrames) {
        if (fresh <= workerData.handBackFrames) parentPort.postMessage('caught-up');
        else delay = 0;
      }
    } else if (r) last = r.log;
  } catch (e) { /* busy: the next tick tries again */ }
  timer = setTimeout(tick, delay);
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

/**
 * Once the WAL holds this many frames (4 KiB pages: 48 MiB, under db.ts's
 * 64 MiB journal_size_limit), the worker asks the server to let it start
 * over. Each hand-back costs the event loop the server's own checkpoint of
 * the last few hundred frames with its two fsyncs: 6–50 ms blocked on a
 * shared disk, of which 3–7 ms CPU (issue 12, bench:server at 1,000
 * events/s: 12–15 hand-backs per 14 s at 16 MiB, more than 1 % of the 202s
 * behind one). At 64 MiB there were 4 per run (−65 % of that blocked time);
 * 48 MiB keeps the file below the size limit.
 */
const RESTART_FRAMES = 12_288;
/** ... when a round copied at most this many new frames: what the server's own checkpoint then copies. */
const HAND_BACK_FRAMES = 512;

/**
 * `finish` runs on the server's thread when the worker has copied nearly
 * everything: a PASSIVE checkpoint of the rest on the server's connection.
 */
export function startCheckpointer(path: string, finish: () => void, intervalMs = 200): Checkpointer {
  const worker = new Worker(SOURCE, {
    eval: true,
    workerData: { path, intervalMs, restartFrames: RESTART_FRAMES, handBackFrames: HAND_BACK_FRAMES, sqlite: sqliteEntry },
    // It allocates almost nothing: small semi-spaces instead of V8's default 16 MiB.
    resourceLimits: { maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  worker.on('message', (m) => { if (m === 'caught-up') finish(); });
  worker.on('error', (e) => process.stderr.write(`hooker: WAL checkpoint worker failed: ${e.message}\n`));
  return {
    stop: () => new Promise<void>((resolve) => {
      const t = setTimeout(() => { void worker.terminate().then(() => resolve()); }, 2_000);
      worker.once('exit', () => { clearTimeout(t); resolve(); });
      worker.postMessage('stop');
    }),
  };
}

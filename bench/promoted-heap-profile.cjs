// Diagnostic preload for a `hooker serve` under a benchmark: a sampling heap
// profile of what survives the young-generation collector (objects a
// scavenge frees are dropped from the samples, those promoted and freed
// later by a full collection kept), by allocation stack, between
// PROMO_START_MS and PROMO_STOP_MS after the process started. Scavenge
// pauses grow with what survives them (issue 12, the p99 of the 202):
//   npx tsx bench/server.bench.ts --phase latency --node-args "--require ./bench/promoted-heap-profile.cjs"
//   node bench/heap-profile-top.cjs /tmp/promo-<pid>-0.heapprofile
// PROMO_MINOR=1 keeps every allocation instead (what fills the young generation).
// One file per thread (<PROMO_OUT>-<pid>-<threadId>.heapprofile): worker threads load the preload too.
const inspector = require('node:inspector');
const fs = require('node:fs');
const { threadId } = require('node:worker_threads');
const session = new inspector.Session();
session.connect();
const start = Number(process.env.PROMO_START_MS ?? 4000);
const stop = Number(process.env.PROMO_STOP_MS ?? 12000);
const out = `${process.env.PROMO_OUT ?? '/tmp/promo'}-${process.pid}-${threadId}.heapprofile`;
setTimeout(() => {
  session.post('HeapProfiler.startSampling', {
    samplingInterval: Number(process.env.PROMO_INTERVAL ?? 4096),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.PROMO_MINOR === '1',
  }, (e) => { if (e) process.stderr.write(`promoted-heap-profile: ${e.message}\n`); });
  setTimeout(() => {
    session.post('HeapProfiler.stopSampling', (e, r) => {
      if (e) { process.stderr.write(`promoted-heap-profile: ${e.message}\n`); return; }
      fs.writeFileSync(out, JSON.stringify(r.profile));
    });
  }, stop - start).unref();
}, start).unref();

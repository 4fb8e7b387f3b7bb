// Diagnostic preload for a `hooker serve` under a benchmark:
//   npm run bench:server -- --phase latency --node-args "--import ./bench/event-loop-probe.mjs"
// Records every stall of the event loop longer than PROBE_STALL_MS (a 1 ms
// timer that came late), every GC pause longer than 5 ms, and the event loop
// delay histogram; on exit writes them as JSON to PROBE_OUT (default
// /tmp/hooker-probe-<pid>.json) so stalls can be lined up with a --cpu-prof
// of the same process (timestamps are performance.now(), the profile's clock).

import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.PROBE_OUT ?? `/tmp/hooker-probe-${process.pid}.json`;
const stallMs = Number(process.env.PROBE_STALL_MS ?? 20);
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const stalls = [];
// This thread's CPU time and run-queue wait (ns), so a stall splits into
// running, waiting for a core (a loaded machine) and sleeping (locks, I/O).
const sched = () => { const [cpu, runq] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number); return { cpu, runq }; };
let lastSched = sched();
const slowTx = [];
let txCount = 0;
let txMs = 0;
globalThis.__sqlProbe = {
  now: () => performance.now(),
  sched,
  record(t0, t1, t2, t3, s0, fn) {
    txCount++;
    txMs += t3 - t0;
    if (t3 - t0 < stallMs / 2) return;
    const s = sched();
    slowTx.push({ at: t0, begin: t1 - t0, body: t2 - t1, commit: t3 - t2, cpu: (s.cpu - s0.cpu) / 1e6, runq: (s.runq - s0.runq) / 1e6, fn: (new Error().stack ?? '').split('\n').slice(3, 6).map((l) => l.trim().replace(/^at /, '').replace(/\(file:.*\/(dist|node_modules)\//, '(')).join(' < ') });
  },
};
const gcs = [];
let last = performance.now();
const tick = setInterval(() => {
  const now = performance.now();
  const s = sched();
  if (now - last > stallMs) stalls.push({ at: last, ms: now - last, cpu: (s.cpu - lastSched.cpu) / 1e6, runq: (s.runq - lastSched.runq) / 1e6 });
  last = now;
  lastSched = s;
}, 1);
tick.unref();
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.duration > 5) gcs.push({ at: e.startTime, ms: e.duration, kind: e.detail?.kind ?? e.kind });
});
obs.observe({ entryTypes: ['gc'] });

function write() {
  const q = (p) => histogram.percentile(p) / 1e6;
  writeFileSync(out, JSON.stringify({
    timeOrigin: performance.timeOrigin,
    delay: { p50: q(50), p99: q(99), p999: q(99.9), max: histogram.max / 1e6 },
    cpu: process.cpuUsage(),
    transactions: { count: txCount, ms: txMs },
    stalls, gcs, slowTx,
  }, null, 1));
}
process.once('exit', write);

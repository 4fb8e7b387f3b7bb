// HeapGrowth: V8's old-generation growth factor fixed while the live heap is
// small, V8's own past the cap, an operator's own flag left alone; and V8
// itself takes the flag, set at run time, for its next limit.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FIXED_PERCENT, HeapGrowth, LIVE_CAP_BYTES, growthFlagFor, operatorSetsGrowth } from '../../src/server/heap-growth.js';

/** A full collection (V8's gc, made callable as idle-gc.ts does). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Mark-compacts while a workload promotes ~300 MB of garbage (a ring of objects that outlive two scavenges), in a fresh node with `pre` run first. */
function majorsWith(pre: string): number {
  const script = `${pre}
    const { PerformanceObserver, constants } = require('node:perf_hooks');
    let majors = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++; }).observe({ entryTypes: ['gc'] });
    const ring = new Array(60000); let k = 0; let rounds = 0;
    (function step() {
      for (let i = 0; i < 2000; i++) ring[k++ % 60000] = { b: new Array(50).fill(i), s: 'x' + i };
      if (++rounds < 600) setImmediate(step); else setImmediate(() => process.stdout.write(String(majors)));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  return Number(r.stdout);
}

describe('HeapGrowth', () => {
  it('fixes the factor while the live heap is small and leaves V8 its own past the cap', () => {
    expect(growthFlagFor(20 * 1024 * 1024)).toBe(`--heap-growing-percent=${FIXED_PERCENT}`);
    expect(growthFlagFor(LIVE_CAP_BYTES)).toBe(`--heap-growing-percent=${FIXED_PERCENT}`);
    expect(growthFlagFor(LIVE_CAP_BYTES + 1)).toBe('--heap-growing-percent=0');
  });

  it("leaves an operator's own factor alone, in either spelling, on the command line or in NODE_OPTIONS", () => {
    expect(operatorSetsGrowth([], undefined)).toBe(false);
    expect(operatorSetsGrowth(['--max-old-space-size=512'], '--enable-source-maps')).toBe(false);
    expect(operatorSetsGrowth(['--heap-growing-percent=50'], undefined)).toBe(true);
    expect(operatorSetsGrowth([], '--max-old-space-size=512 --heap_growing_percent=20')).toBe(true);
    const g = new HeapGrowth(['--heap-growing-percent=50'], undefined);
    g.start();
    expect(g.current).toBeUndefined();
    g.stop();
  });

  it('sets the flag at start and decides again after each mark-compact, from the live heap it left', async () => {
    const g = new HeapGrowth([], undefined);
    try {
      g.start();
      // This test process's live heap is far below the cap.
      expect(g.current).toBe(`--heap-growing-percent=${FIXED_PERCENT}`);
      // A live heap past the cap: the next mark-compact hands the factor back to V8.
      const big: number[][] = Array.from({ length: 80 }, () => new Array<number>(100_000).fill(1.5));
      fullGc();
      await new Promise((r) => setTimeout(r, 50));
      expect(g.current).toBe('--heap-growing-percent=0');
      expect(big).toHaveLength(80);
      big.length = 0;
      fullGc();
      await new Promise((r) => setTimeout(r, 50));
      expect(g.current).toBe(`--heap-growing-percent=${FIXED_PERCENT}`);
    } finally {
      g.stop();
    }
    expect(g.current).toBeUndefined();
  });

  it('is a flag V8 knows and reads at run time: a small factor set the same way gives more mark-compacts', () => {
    // Guards a Node upgrade: an unknown flag is only reported on stderr (checked in majorsWith), the server would then run on V8's factor.
    const fixed = majorsWith(`require('node:v8').setFlagsFromString('--heap-growing-percent=${FIXED_PERCENT}');`);
    const small = majorsWith(`require('node:v8').setFlagsFromString('--heap-growing-percent=10');`);
    expect(fixed).toBeGreaterThan(0);
    expect(small).toBeGreaterThan(2 * fixed);
  });
});

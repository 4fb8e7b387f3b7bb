// IdleGc: after a burst leaves garbage in the heap, an idle period collects
// it; a busy event loop or a heap that did not grow is left alone.

import { describe, expect, it } from 'vitest';
import { IdleGc } from '../../src/server/idle-gc.js';

const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end) { /* a busy event loop */ } };
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdleGc', () => {
  it('collects once the loop is idle and the heap grew, and gives the garbage back', async () => {
    const gc = new IdleGc({ growthBytes: 8 * 1024 * 1024, idleBelow: 0.5 });
    gc.start();
    // Garbage that survives young collections: a retained array, then dropped.
    let keep: string[][] | undefined = Array.from({ length: 1000 }, (_, i) => Array.from({ length: 1000 }, (_, j) => `item ${i} ${j}`));
    const grown = process.memoryUsage().heapUsed;
    keep = undefined;
    expect(keep).toBeUndefined();
    busy(60);
    expect(gc.check()).toBe(false);
    await idle(300);
    expect(gc.check()).toBe(true);
    expect(gc.collections).toBe(1);
    expect(process.memoryUsage().heapUsed).toBeLessThan(grown - 8 * 1024 * 1024);
    // Nothing grew since: the next idle period does not collect again.
    await idle(200);
    expect(gc.check()).toBe(false);
    gc.stop();
  });
});

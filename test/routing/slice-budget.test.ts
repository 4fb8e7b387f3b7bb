// Ingest's share of the event loop: a burst of plans is committed in slices
// sized from the time the store blocked, with I/O between slices, so a
// request arriving meanwhile is not held behind the whole burst. A real
// SQLite store, wrapped only to record each transaction and to make its
// synchronous part slow.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeliveryScheduler } from '../../src/delivery/scheduler.js';
import { SliceBudget } from '../../src/delivery/slice-budget.js';
import { openStore } from '../../src/store/open-store.js';
import type { EventPlan } from '../../src/delivery/plan.js';
import type { Store } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'hooker-slices-'));
let store: Store;
afterAll(async () => { await store?.close(); rmSync(dir, { recursive: true, force: true }); });

const busy = (ms: number) => { const end = performance.now() + ms; while (performance.now() < end) { /* a slow synchronous commit */ } };

describe('slices of store work', () => {
  it('a SliceBudget sizes batches from the measured time per item, within its bounds', () => {
    const b = new SliceBudget(4, 8, 256);
    expect(b.size()).toBe(8);
    b.record(10, 1);
    expect(b.size()).toBe(40);
    for (let i = 0; i < 50; i++) b.record(10, 100);
    expect(b.size()).toBe(8);
    for (let i = 0; i < 50; i++) b.record(1000, 0.1);
    expect(b.size()).toBe(256);
  });

  it('one batch stretched by something else (a GC pause, the thread losing its core) does not shrink the next batches', () => {
    const b = new SliceBudget(4, 8, 256);
    for (let i = 0; i < 15; i++) b.record(20, 2);
    expect(b.size()).toBe(40);
    // A single plan that took 26 ms (seen in bench:server: a scavenge inside a one-plan commit).
    b.record(1, 26);
    expect(b.size()).toBe(40);
    b.record(1, 60);
    expect(b.size()).toBe(40);
    // A cost that really changed (bigger events) is followed within a few batches.
    for (let i = 0; i < 8; i++) b.record(20, 8);
    expect(b.size()).toBe(10);
  });

  it('a burst of plans is committed in several transactions, every plan once and in order, with I/O between them', async () => {
    store = await openStore(join(dir, 'hooker.db'));
    const transactions: string[][] = [];
    const marks: string[] = [];
    const rows = store.deliveries;
    const slow = Object.create(rows) as typeof rows;
    slow.insertPlans = (plans: EventPlan[]) => {
      transactions.push(plans.map((p) => p.eventId));
      marks.push(`commit ${plans.length}`);
      busy(plans.length * 0.5);
      return rows.insertPlans(plans);
    };
    const scheduler = new DeliveryScheduler(slow, async () => ({ result: { ok: true }, log: [] }));
    const ids = Array.from({ length: 120 }, (_, i) => `e${String(i).padStart(3, '0')}`);
    const accepted = ids.map((eventId) => scheduler.accept({
      eventId, receivedAt: Date.now(), hops: 0, event: { eventId },
      routes: [{ route: 'r', message: { title: 't', body: 'b' }, deliveries: [{ id: `${eventId}-d`, action: 'x', stage: 0, kind: 'ReadOnly' }] }],
    }));
    // Something the event loop has to do meanwhile (as a request arriving would be).
    setImmediate(() => marks.push('io'));
    await Promise.all(accepted.map((a) => a.committed));
    expect(transactions.flat()).toEqual(ids);
    expect(transactions.length).toBeGreaterThan(1);
    // The other work ran before the burst was through, not after it.
    expect(marks.indexOf('io')).toBeGreaterThan(0);
    expect(marks.indexOf('io')).toBeLessThan(marks.length - 1);
    await scheduler.close(0);
  });
});

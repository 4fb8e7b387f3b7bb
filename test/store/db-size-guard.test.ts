import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { DedupStore } from '../../src/store/dedup-store.js';
import { DeliveryStore } from '../../src/store/delivery-store.js';
import { DbSizeGuard, parseDbSize } from '../../src/store/db-size-guard.js';

function fill(store: DeliveryStore, n: number, opts: { finished: boolean; from: number }) {
  for (let i = 0; i < n; i++) {
    const id = `e${opts.from + i}`;
    store.insertPlan({
      eventId: id, receivedAt: opts.from + i, hops: 0, event: { pad: 'x'.repeat(2_000) },
      routes: [{ route: 'r', message: { title: '', body: 'y'.repeat(2_000) }, deliveries: [{ id: `d-${id}`, action: 'a', stage: 0, kind: 'ReadOnly' }] }],
      dedupKeys: [{ route: 'r', key: id, expiresAt: opts.finished ? 0 : Number.MAX_SAFE_INTEGER }],
    });
    if (opts.finished) {
      store.claimDue('a', Number.MAX_SAFE_INTEGER, 10);
      store.finishAttempt(`d-${id}`, { ok: true, log: [], startedAt: 0, finishedAt: 0 });
    }
  }
}

describe('max-db-size', () => {
  it('parses Postee sizes', () => {
    expect(parseDbSize('300MB')).toBe(300 * 1024 ** 2);
    expect(parseDbSize('1GB')).toBe(1024 ** 3);
    expect(parseDbSize('0')).toBeUndefined();
    expect(parseDbSize(undefined)).toBeUndefined();
    expect(() => parseDbSize('lots')).toThrow(/max-db-size/);
  });

  it('evicts expired dedup keys and the oldest finished events, never undelivered ones, and says so', () => {
    const db = openDatabase(':memory:');
    const store = new DeliveryStore(db);
    const dedup = new DedupStore(db);
    const lines: string[] = [];
    const evicted: Record<string, number> = {};
    const guard = new DbSizeGuard(db, store, dedup, { log: (l) => lines.push(l), metrics: { evicted: { inc: (l, n = 1) => { evicted[l.kind] = (evicted[l.kind] ?? 0) + n; } }, dbBytes: { set: () => {} } } });
    fill(store, 200, { finished: true, from: 0 });
    fill(store, 50, { finished: false, from: 1_000 });
    const before = guard.usedBytes();
    const limit = Math.floor(before * 0.6);
    const removed = guard.check(String(limit));
    expect(removed).toBeGreaterThan(0);
    expect(guard.usedBytes()).toBeLessThanOrEqual(limit);
    // Oldest first, undelivered untouched.
    expect(store.list({ limit: 10_000 }).filter((d) => d.state === 'pending')).toHaveLength(50);
    expect(store.get('d-e0')).toBeUndefined();
    expect(store.get('d-e199')).toBeDefined();
    expect(evicted['dedup_key']).toBe(200);
    expect(dedup.liveCount()).toBe(50);

    // Only undelivered data left and still too big: nothing dropped, a warning instead.
    const left = store.list({ state: 'succeeded', limit: 10_000 }).length;
    expect(guard.check('1KB')).toBe(left);
    expect(store.list({ state: 'succeeded', limit: 10_000 })).toHaveLength(0);
    expect(store.list({ state: 'pending', limit: 10_000 })).toHaveLength(50);
    expect(lines.at(-1)).toContain('nothing is dropped');
    expect(evicted['none_possible']).toBeGreaterThan(0);
  });
});

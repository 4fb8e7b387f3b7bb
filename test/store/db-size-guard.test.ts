// max-db-size on both engines (SQLite in memory, a real PostgreSQL server):
// the oldest finished events go, undelivered ones never, and on PostgreSQL,
// whose files keep a deleted row's space, the limit counts the rows so the
// guard stops once they fit instead of emptying the store.
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { DeliveryRows, Store } from '../../src/store/types.js';
import { DbSizeGuard, parseDbSize } from '../../src/store/db-size-guard.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

let pg: PostgresServer | undefined;
afterAll(() => pg?.destroy());

const engines: Record<'sqlite' | 'sqlite-thread' | 'postgres', () => Promise<Store>> = {
  sqlite: async () => SqliteStore.open(':memory:'),
  'sqlite-thread': async () => ThreadedSqliteStore.open(':memory:'),
  postgres: async () => { pg ??= await startPostgres(); return PostgresStore.open(await pg.createDatabase()); },
};

async function fill(store: DeliveryRows, n: number, opts: { finished: boolean; from: number }) {
  for (let i = 0; i < n; i++) {
    const id = `e${opts.from + i}`;
    await store.insertPlans([{
      eventId: id, receivedAt: opts.from + i, hops: 0, event: { pad: 'x'.repeat(2_000) },
      routes: [{ route: 'r', message: { title: '', body: 'y'.repeat(2_000) }, deliveries: [{ id: `d-${id}`, action: 'a', stage: 0, kind: 'ReadOnly' }] }],
      dedupKeys: [{ route: 'r', key: id, expiresAt: opts.finished ? 1 : Number.MAX_SAFE_INTEGER }],
    }]);
    if (opts.finished) {
      await store.claimDue('a', Number.MAX_SAFE_INTEGER, 10, { owner: 'me', until: Number.MAX_SAFE_INTEGER });
      await store.finishAttempts([{ id: `d-${id}`, owner: 'me', outcome: { ok: true, log: [], startedAt: 0, finishedAt: 0 } }]);
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
});

describe.each(['sqlite', 'sqlite-thread', 'postgres'] as const)('max-db-size on %s', (engine) => {
  it('evicts expired dedup keys and the oldest finished events, never undelivered ones, and says so', { timeout: 90_000 }, async () => {
    const all = await engines[engine]();
    try {
      const store = all.deliveries;
      const dedup = all.dedup;
      const lines: string[] = [];
      const evicted: Record<string, number> = {};
      const guard = new DbSizeGuard(all, { log: (l) => lines.push(l), metrics: { evicted: { inc: (l, n = 1) => { evicted[l.kind] = (evicted[l.kind] ?? 0) + n; } }, dbBytes: { set: () => {} } } });
      await fill(store, 200, { finished: true, from: 0 });
      await fill(store, 50, { finished: false, from: 1_000 });
      const before = await guard.usedBytes();
      const limit = Math.floor(before * 0.6);
      const removed = await guard.check(String(limit));
      expect(removed).toBeGreaterThan(0);
      expect(await guard.usedBytes()).toBeLessThanOrEqual(limit);
      // Oldest first, undelivered untouched.
      expect((await store.list({ limit: 10_000 })).filter((d) => d.state === 'pending')).toHaveLength(50);
      expect(await store.get('d-e0')).toBeUndefined();
      expect(await store.get('d-e199')).toBeDefined();
      expect(evicted['dedup_key']).toBe(200);
      expect(await dedup.liveCount()).toBe(50);
      // Checked again with the same limit: the rows fit, nothing more goes (PostgreSQL's files did not shrink).
      expect(await all.usedBytes()).toBeGreaterThanOrEqual(await all.liveBytes());
      const kept = (await store.list({ state: 'succeeded', limit: 10_000 })).length;
      expect(await guard.check(String(limit))).toBe(0);
      expect(await store.list({ state: 'succeeded', limit: 10_000 })).toHaveLength(kept);

      // Only undelivered data left and still too big: nothing dropped, a warning instead.
      const left = (await store.list({ state: 'succeeded', limit: 10_000 })).length;
      expect(await guard.check('1KB')).toBe(left);
      expect(await store.list({ state: 'succeeded', limit: 10_000 })).toHaveLength(0);
      expect(await store.list({ state: 'pending', limit: 10_000 })).toHaveLength(50);
      expect(lines.at(-1)).toContain('nothing is dropped');
      expect(evicted['none_possible']).toBeGreaterThan(0);
    } finally {
      await all.close();
    }
  });
});

describe('max-db-size with replicas on one PostgreSQL', () => {
  it('two replicas checking at once remove what one would, not twice as much', { timeout: 90_000 }, async () => {
    pg ??= await startPostgres();
    const alone = await PostgresStore.open(await pg.createDatabase());
    const shared = await pg.createDatabase();
    const [a, b] = await Promise.all([PostgresStore.open(shared), PostgresStore.open(shared)]);
    try {
      // The same rows in both databases: the same events must go.
      await fill(alone.deliveries, 120, { finished: true, from: 0 });
      await fill(a.deliveries, 120, { finished: true, from: 0 });
      const limit = Math.floor((await alone.liveBytes()) * 0.5);
      const quiet = { log: () => {} };
      const one = await new DbSizeGuard(alone, quiet).check(String(limit));
      expect(one).toBeGreaterThan(0);
      const both = await Promise.all([new DbSizeGuard(a, quiet).check(String(limit)), new DbSizeGuard(b, quiet).check(String(limit))]);
      expect(both[0] + both[1]).toBe(one);
      expect(await a.liveBytes()).toBeLessThanOrEqual(limit);
      expect(await a.deliveries.get(`d-e${one}`)).toBeDefined();
    } finally {
      await Promise.all([alone.close(), a.close(), b.close()]);
    }
  });
});

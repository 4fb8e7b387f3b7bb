// A retry starts when its backoff ends, not at the scheduler's safety net a
// second later, also when the store's claims take a while: a round trip to
// the SQLite writer thread or to PostgreSQL. A pump's later pass may skip an
// action its first pass claimed (it left claim mode), so a retry that came
// due between the two passes was not looked at; the scheduler took it for
// one a full lane had seen and set its timer a second out (found with the
// writer thread as the default: test/e2e/retries.test.ts's gaps of ~1 s).
import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/types.js';
import type { DeliveryRows } from '../../src/store/types.js';
import { closeEngines, engine, route, table, tempDbFile, until } from './engine-fixture.js';

afterEach(() => closeEngines());

describe('retry timers with slow claims', () => {
  it('three failing actions with 100 ms backoffs: no attempt waits near a second for its retry', async () => {
    const starts = new Map<string, number[]>();
    const failing = (name: string): Action => ({
      name, type: 'test',
      deliver: async (ctx) => {
        const key = `${name}:${(ctx.event as { n: number }).n}`;
        starts.set(key, [...(starts.get(key) ?? []), Date.now()]);
        return { ok: false, detail: 'receiver answered 500' };
      },
    });
    const names = ['a', 'b', 'c'];
    const policy = { retries: 3, retryBackoffMs: 100, retryMaxBackoffMs: 2_000, concurrency: 20 };
    const t = table(names.map((n) => route(n, [n])), () => names, names.map(failing), Object.fromEntries(names.map((n) => [n, policy])));
    // SQLite on the event loop, each claim answered 8 ms late: a pass over three actions takes ~25 ms.
    const e = await engine(t, tempDbFile('retry-timer'), { sqliteThread: false });
    const rows: DeliveryRows = e.store.deliveries;
    const claim = rows.claimDue.bind(rows);
    rows.claimDue = async (...args) => { const r = await claim(...args); await new Promise((ok) => setTimeout(ok, 8)); return r; };
    for (let n = 0; n < 20; n++) await e.router.route({ n }, { hops: 0, firstAttempts: false }).committed;
    await until(async () => (await rows.countByState()).dead === 60, 30_000);
    // Backoffs of ~100, 200 and 400 ms (with jitter); the safety net's look comes after 1,000 ms.
    const gaps = [...starts.values()].flatMap((l) => l.slice(1).map((at, i) => at - l[i]!));
    expect(gaps).toHaveLength(180);
    expect(gaps.filter((g) => g >= 900)).toEqual([]);
  });
});

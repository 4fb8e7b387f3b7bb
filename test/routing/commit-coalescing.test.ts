// When a turn's plans wait one more turn to share a commit (scheduler
// flushSoon): only while plans arrive fast. At a moderate rate a plan that
// follows a large commit is committed in the check phase of its own turn;
// before, any commit of 16+ plans (one long turn at 1,000 events/s) made the
// next turn's plans wait a whole extra turn for their 202 (issue 12).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Action } from '../../src/actions/types.js';
import { closeEngines, engine, route, table } from './engine-fixture.js';

const ok: Action = { name: 'a', type: 'test', deliver: async () => ({ ok: true }) };

afterEach(async () => {
  vi.useRealTimers();
  await closeEngines();
});

/** Whole event-loop turns (check phases) that pass between accepting one event and its commit. */
async function turnsToCommit(router: Awaited<ReturnType<typeof engine>>['router'], eventId: string): Promise<number> {
  let turns = 0;
  let waiting = true;
  const tick = () => { if (waiting) { turns++; setImmediate(tick); } };
  const routed = router.route({ n: 0 }, { hops: 0, eventId });
  // Queued after the scheduler's flush of this turn: it counts the turns that flush lets pass.
  setImmediate(tick);
  await routed.committed;
  waiting = false;
  return turns;
}

/** `n` events accepted in batches of 50 (each batch one commit of 16+ plans). */
async function burst(router: Awaited<ReturnType<typeof engine>>['router'], prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => router.route({ n: i + k }, { hops: 0, eventId: `${prefix}-${i + k}` }).committed));
  }
}

describe('commit coalescing', () => {
  it('after a large commit, a plan arriving at a moderate rate is committed in its own turn; at 2,000+ plans/s it waits one turn to share the next commit', async () => {
    // The scheduler's clock (Date.now) is set by the test; timers and the event loop stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = 1_800_000_000_000;
    vi.setSystemTime(start);
    // SQLite on the event loop: the commit resolves in the turn it runs, so the turns counted are the scheduler's wait
    // alone. With the writer thread every commit adds a round trip to the thread (hundreds of empty turns here).
    const { router } = await engine(table([route('r', ['a'])], () => ['r'], [ok]), ':memory:', { sqliteThread: false });
    // Large commits (the commit slice learns its size on the first ones), then one plan: nothing has arrived fast.
    await burst(router, 'warm', 200);
    vi.setSystemTime(start + 1_000);
    expect(await turnsToCommit(router, 'moderate')).toBe(0);

    // 300 plans within 100 ms (3,000/s): the next small turn waits one turn for more plans.
    await burst(router, 'fast', 300);
    vi.setSystemTime(start + 1_100);
    expect(await turnsToCommit(router, 'fast-last')).toBe(1);

    // The rate is measured afresh over the next window: 1 plan in 2 s, no waiting again.
    await burst(router, 'again', 50);
    vi.setSystemTime(start + 3_100);
    expect(await turnsToCommit(router, 'slow-again')).toBe(0);
  });
});

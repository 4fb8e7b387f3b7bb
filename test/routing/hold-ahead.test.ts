// A lane may hold fresh deliveries in memory past its room
// (SchedulerOptions.holdAhead, SQLite's default): under sustained load a
// lane that stored and claimed back everything past its room never left
// that mode, and its claims waited behind the writer's commits (issue 12).
// The real scheduler on a real SQLite file; the store is wrapped only to
// count claims and to hold one back while fresh events are committed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryScheduler, claimAhead } from '../../src/delivery/scheduler.js';
import { DEFAULT_DELIVERY_POLICY } from '../../src/config/types.js';
import { openStore } from '../../src/store/open-store.js';
import type { EventPlan } from '../../src/delivery/plan.js';
import type { Store } from '../../src/store/types.js';

const dirs: string[] = [];
const stores: Store[] = [];
const schedulers: DeliveryScheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.close(0)));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const id = (n: number) => String(n).padStart(5, '0');
/** `pad`: characters of filler in the event (its text, which holdAheadChars counts, is the event's JSON). */
const plan = (n: number, pad = 0): EventPlan => ({
  eventId: `e${id(n)}`, receivedAt: Date.now(), hops: 0, event: pad ? { n, pad: 'x'.repeat(pad) } : { n },
  ...(pad ? { eventText: JSON.stringify({ n, pad: 'x'.repeat(pad) }) } : {}),
  routes: [{ route: 'r', message: { title: 't', body: 'b' }, deliveries: [{ id: `d${id(n)}`, action: 'ship', stage: 0, kind: 'ReadOnly' }] }],
});

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** A scheduler of one lane of concurrency 1 over a SQLite file; each delivery waits for a credit (`allow`). */
async function setUp(holdAhead: number, opts: { holdAheadChars?: number; pad?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-hold-'));
  dirs.push(dir);
  const store = await openStore(join(dir, 'hooker.db'));
  stores.push(store);
  const rows = store.deliveries;
  const counts = { claims: 0, claimed: 0 };
  let holdClaims: Promise<void> | undefined;
  const wrapped = Object.create(rows) as typeof rows;
  wrapped.claimDue = async (...args) => {
    counts.claims++;
    if (holdClaims) await holdClaims;
    const claimed = await rows.claimDue(...args);
    counts.claimed += claimed.length;
    return claimed;
  };
  const plans = new Map<number, EventPlan>();
  /** Each first attempt: its event's n, and whether it was the accepted plan's own event (handed over in memory) or a copy read back by a claim. */
  const ran: Array<{ n: number; inMemory: boolean }> = [];
  const waiting: Array<() => void> = [];
  let credits = 0;
  const scheduler = new DeliveryScheduler(wrapped, async (job) => {
    const event = job.event as { n: number };
    ran.push({ n: event.n, inMemory: event === plans.get(event.n)!.event });
    if (credits > 0) credits--;
    else await new Promise<void>((r) => waiting.push(r));
    return { result: { ok: true }, log: [] };
  }, { policyOf: () => ({ ...DEFAULT_DELIVERY_POLICY, concurrency: 1 }), holdAhead, ...(opts.holdAheadChars !== undefined ? { holdAheadChars: opts.holdAheadChars } : {}) });
  schedulers.push(scheduler);
  await scheduler.start();
  let next = 0;
  return {
    scheduler, counts, ran, rows,
    /** Accepts `k` more events (one per plan, in order) and waits for their commits. */
    async accept(k: number) {
      const committed: Array<Promise<unknown>> = [];
      for (let i = 0; i < k; i++, next++) { const p = plan(next, opts.pad); plans.set(next, p); committed.push(scheduler.accept(p, { firstAttempts: false }).committed); }
      await Promise.all(committed);
    },
    get accepted() { return next; },
    /** Later deliveries wait for allow() again. */
    block() { credits = 0; },
    allow(k: number) {
      credits += k;
      while (credits > 0 && waiting.length) { credits--; waiting.shift()!(); }
    },
    holdClaimsUntil(p: Promise<void> | undefined) { holdClaims = p; },
  };
}

describe('holding fresh deliveries past the room', () => {
  const room = 1 + claimAhead(1);

  it('a lane behind by more than its room but within holdAhead hands every fresh delivery over in memory, also across a poke whose probe is slow; each once, in order', async () => {
    const lane = await setUp(60);
    await lane.accept(room + 40);
    await until(() => lane.ran.length === 1);
    expect(lane.counts.claimed).toBe(0);

    // The safety net's poke (the store names the action: its held rows are pending, leased here) while its
    // probe's claim is slow to answer and fresh events are committed meanwhile: before, the poke marked the
    // action pending, so those were stored unleased and the lane claimed for as long as it stayed behind.
    let answer!: () => void;
    lane.holdClaimsUntil(new Promise<void>((r) => { answer = r; }));
    lane.scheduler.poke();
    await until(() => lane.counts.claims === 1);
    lane.allow(10);
    await lane.accept(30);
    answer();
    lane.holdClaimsUntil(undefined);
    lane.allow(Number.MAX_SAFE_INTEGER);
    await until(() => lane.ran.length === lane.accepted);
    await until(() => lane.scheduler.pending() === 0);

    expect(lane.ran.map((r) => r.n)).toEqual(Array.from({ length: lane.accepted }, (_, n) => n));
    expect(lane.ran.every((r) => r.inMemory)).toBe(true);
    expect(lane.counts.claimed).toBe(0);
    expect(await lane.rows.openEvents()).toBe(0);
  });

  it('past room + holdAhead the rest waits in the store and is claimed after what the lane holds; each once, in order', async () => {
    const hold = 20;
    const lane = await setUp(hold);
    const overflow = 30;
    await lane.accept(room + hold + overflow);
    lane.allow(Number.MAX_SAFE_INTEGER);
    await until(() => lane.ran.length === lane.accepted);
    await until(() => lane.scheduler.pending() === 0);

    expect(lane.ran.map((r) => r.n)).toEqual(Array.from({ length: lane.accepted }, (_, n) => n));
    expect(lane.ran.filter((r) => r.n < room + hold).every((r) => r.inMemory)).toBe(true);
    expect(lane.ran.filter((r) => r.n >= room + hold).every((r) => !r.inMemory)).toBe(true);
    expect(lane.counts.claimed).toBe(overflow);
    expect(await lane.rows.openEvents()).toBe(0);
  });

  it('past room + what holdAheadChars lets the lane hold of large events, the rest waits in the store and is claimed after; each once, in order', async () => {
    // Events of ~10,000 characters: 60 held past the room by count, but only 5 by their text (50,000 characters).
    const lane = await setUp(60, { holdAheadChars: 50_000, pad: 10_000 });
    await lane.accept(room + 40);
    lane.allow(Number.MAX_SAFE_INTEGER);
    await until(() => lane.ran.length === lane.accepted);
    await until(() => lane.scheduler.pending() === 0);

    expect(lane.ran.map((r) => r.n)).toEqual(Array.from({ length: lane.accepted }, (_, n) => n));
    const heldPast = 4; // 4 × 10,017 characters fit in 50,000, a fifth does not
    expect(lane.ran.filter((r) => r.n < room + heldPast).every((r) => r.inMemory)).toBe(true);
    expect(lane.ran.filter((r) => r.n >= room + heldPast).every((r) => !r.inMemory)).toBe(true);
    expect(lane.counts.claimed).toBe(40 - heldPast);
    expect(await lane.rows.openEvents()).toBe(0);

    // Started deliveries no longer count: once the lane ran everything, it holds as many past its room again.
    const before = lane.counts.claimed;
    lane.block();
    await lane.accept(room + heldPast);
    lane.allow(Number.MAX_SAFE_INTEGER);
    await until(() => lane.ran.length === lane.accepted);
    await until(() => lane.scheduler.pending() === 0);
    expect(lane.counts.claimed).toBe(before);
    expect(lane.ran.slice(-(room + heldPast)).every((r) => r.inMemory)).toBe(true);
  });
});

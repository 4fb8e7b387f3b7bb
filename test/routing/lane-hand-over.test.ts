// A lane hands an accepted event's deliveries over in memory after the
// commit (stored leased to this process) while it has room; the rest wait in
// the store and are claimed oldest first. These tests let a lane fall behind
// on a real SQLite file and check that it goes back to the in-memory
// hand-over once its claims have taken what it stored, without losing,
// repeating or reordering a delivery, and that retries still run.
import { afterEach, describe, expect, it } from 'vitest';
import type { Action, DeliveryContext, DeliveryResult } from '../../src/actions/types.js';
import { claimAhead } from '../../src/delivery/scheduler.js';
import { closeEngines, engine, tempDbFile, route, table, until } from './engine-fixture.js';

afterEach(() => closeEngines());

interface Shipped { n: number; attempt: number; inMemory: boolean }

/**
 * Waits for `cond` a millisecond at a time: the lane's steps below stay well
 * inside the second after which the scheduler's safety net looks at the store
 * (a look that finds the lane's stored backlog keeps it claiming by the older
 * rule, a short claim, which this test is not about).
 */
async function soon(cond: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * An action whose deliveries each wait for a go (`allow`), recording the
 * event each one was given: the very object the router was handed (an
 * in-memory hand-over), or a copy parsed from the store (a claim).
 */
function gatedAction(sent: ReadonlyMap<number, object>, fail: (n: number, attempt: number) => boolean = () => false) {
  const started: Shipped[] = [];
  const waiting: Array<() => void> = [];
  let credits = 0;
  const act: Action = {
    name: 'ship', type: 'test',
    deliver: async (ctx: DeliveryContext): Promise<DeliveryResult> => {
      const event = ctx.event as unknown as { n: number };
      const attempt = started.filter((s) => s.n === event.n).length + 1;
      started.push({ n: event.n, attempt, inMemory: event === sent.get(event.n) });
      if (credits > 0) credits--;
      else await new Promise<void>((r) => waiting.push(r));
      return fail(event.n, attempt) ? { ok: false, detail: 'receiver answered 503' } : { ok: true };
    },
  };
  return {
    act, started,
    /** Lets `k` more deliveries finish. */
    allow(k: number) {
      credits += k;
      while (credits > 0 && waiting.length) { credits--; waiting.shift()!(); }
    },
  };
}

describe('lane hand-over', () => {
  // 8 overflow: the lane's first claim takes exactly what it stored (a claim takes 8 at most until its cost is
  // measured), a full claim that cannot tell it took everything; 40: several claims, the last one short.
  it.each([8, 40])('a lane that fell behind hands fresh deliveries over in memory again once its claims took what it stored (%i overflowed); each delivered once, in order', async (overflow) => {
    const sent = new Map<number, object>();
    const ship = gatedAction(sent);
    const t = table([route('r', ['ship'])], () => ['r'], [ship.act], { ship: { concurrency: 1 } });
    const e = await engine(t, tempDbFile('lanes'), { holdAhead: 0 });
    const post = (n: number) => { const event = { n }; sent.set(n, event); return e.router.route(event, { hops: 0, firstAttempts: false }); };

    // Held: one running and claimAhead waiting in the lane; the next ones overflow into the store.
    const inLane = 1 + claimAhead(1);
    await Promise.all(Array.from({ length: inLane + overflow }, (_, n) => post(n).committed));
    await soon(() => ship.started.length === 1);

    // The lane works through its room one delivery at a time until the whole stored backlog fits in it: that
    // claim takes exactly what the lane can hold (it cannot come back short), and it is the last one.
    for (let k = 1; k <= overflow; k++) {
      ship.allow(1);
      await soon(() => ship.started.length === k + 1);
    }
    // Everything before the fresh events starts, the last one held running: it was claimed, so the claim that took
    // the last stored row has answered (with the SQLite writer thread a claim is a round trip, and a poke while one
    // is in flight announces work of unknown size, which keeps the lane claiming until a claim comes back short).
    const first = inLane + overflow;
    ship.allow(first - (overflow + 1));
    await soon(() => ship.started.length === first);

    // The timer's look at the store names the action (its rows leased to this process are pending): a claim
    // finds nothing else, so the lane stays in hand-over mode.
    e.scheduler.poke();
    await new Promise((r) => setTimeout(r, 20));

    // Caught up: events accepted now go to the lane in memory (behind the claimed ones), not through the store.
    const fresh = 10;
    await Promise.all(Array.from({ length: fresh }, (_, i) => post(first + i).committed));

    ship.allow(Number.MAX_SAFE_INTEGER);
    const total = first + fresh;
    await until(async () => (await e.store.deliveries.countByState()).succeeded === total);
    expect(ship.started.map((s) => s.n)).toEqual(Array.from({ length: total }, (_, n) => n));
    // What overflowed was claimed from the store (a parsed copy); what came after catching up was handed over.
    expect(ship.started.filter((s) => s.n >= inLane && s.n < first).every((s) => !s.inMemory)).toBe(true);
    expect(ship.started.filter((s) => s.n >= first).map((s) => s.inMemory)).toEqual(Array.from({ length: fresh }, () => true));
    expect(await e.store.deliveries.openEvents()).toBe(0);
  });

  it('a retry of the lane that fell behind still runs, and what overflowed is claimed; each event delivered once', async () => {
    const sent = new Map<number, object>();
    // Event 3's first attempt fails; it is retried after the backoff, whatever the lane's mode.
    const ship = gatedAction(sent, (n, attempt) => n === 3 && attempt === 1);
    const t = table([route('r', ['ship'])], () => ['r'], [ship.act], { ship: { concurrency: 1, retries: 2, retryBackoffMs: 20, retryMaxBackoffMs: 40 } });
    const e = await engine(t, tempDbFile('lanes'), { holdAhead: 0 });
    const post = (n: number) => { const event = { n }; sent.set(n, event); return e.router.route(event, { hops: 0, firstAttempts: false }); };

    const total = 1 + claimAhead(1) + 60;
    await Promise.all(Array.from({ length: total }, (_, n) => post(n).committed));
    ship.allow(Number.MAX_SAFE_INTEGER);
    // Fresh events keep arriving while the backlog is worked through.
    for (let n = total; n < total + 30; n++) { await post(n).committed; await new Promise((r) => setTimeout(r, 1)); }
    await until(async () => (await e.store.deliveries.countByState()).succeeded === total + 30);
    const succeeded = ship.started.filter((s) => !(s.n === 3 && s.attempt === 1)).map((s) => s.n).sort((a, b) => a - b);
    expect(succeeded).toEqual(Array.from({ length: total + 30 }, (_, n) => n));
    expect(ship.started.filter((s) => s.n === 3).map((s) => s.attempt)).toEqual([1, 2]);
    // First attempts start in the order the events were accepted.
    const firsts = ship.started.filter((s) => s.attempt === 1).map((s) => s.n);
    expect(firsts).toEqual(Array.from({ length: total + 30 }, (_, n) => n));
    expect(await e.store.deliveries.openEvents()).toBe(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Action, DeliveryContext, DeliveryResult } from '../../src/actions/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { planStages } from '../../src/delivery/plan.js';
import { retryDelayMs } from '../../src/delivery/backoff.js';
import { closeEngines, engine, tempDbFile, route, table, until } from './engine-fixture.js';

function action(name: string, fn: (ctx: DeliveryContext) => Promise<DeliveryResult> | DeliveryResult): Action {
  return { name, type: 'test', deliver: async (ctx) => fn(ctx) };
}

afterEach(() => closeEngines());

describe('DeliveryScheduler', () => {
  it('a slow action never holds up another action or route', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const order: string[] = [];
    const t = table([route('slow', ['slow']), route('fast', ['fast'])], () => ['slow', 'fast'], [
      action('slow', async (c) => { await gate; order.push(`slow:${c.eventId}`); return { ok: true }; }),
      action('fast', (c) => { order.push(`fast:${c.eventId}`); return { ok: true }; }),
    ], { slow: { concurrency: 1 } });
    const { router, scheduler } = await engine(t);
    const events = ['e1', 'e2', 'e3'].map((id) => router.route({}, { hops: 0, eventId: id }));
    await until(() => order.length === 3);
    expect(order).toEqual(['fast:e1', 'fast:e2', 'fast:e3']);
    expect(scheduler.pending()).toBe(3);
    release();
    await Promise.all(events.map((e) => e.done));
    expect(order.slice(3)).toEqual(['slow:e1', 'slow:e2', 'slow:e3']);
    // The inbox count is refreshed from the store after events close (scheduler.recount): with the SQLite writer
    // thread that answer arrives after `done`.
    await until(() => scheduler.pending() === 0);
  });

  it('an event accepted without tracking its first attempts: `done` resolves at once with no records, the deliveries still run and are recorded', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const ran: string[] = [];
    const t = table([route('r', ['a', 'b'])], () => ['r'], [
      action('a', async (c) => { await gate; ran.push(`a:${c.eventId}`); return { ok: true }; }),
      action('b', async (c) => { await gate; ran.push(`b:${c.eventId}`); return { ok: false, detail: 'no', retryable: false }; }),
    ]);
    const records: Array<{ eventId: string; actionName: string; state: string }> = [];
    const { router, store } = await engine(t, ':memory:', { onRecord: (r) => records.push(r) });
    const untracked = router.route({}, { hops: 0, eventId: 'e1', firstAttempts: false });
    const tracked = router.route({}, { hops: 0, eventId: 'e2' });
    await untracked.committed;
    // Nothing ran yet: the untracked event's `done` has already resolved, empty; the tracked one waits.
    expect(await untracked.done).toEqual([]);
    let trackedDone = false;
    void tracked.done.then(() => { trackedDone = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(trackedDone).toBe(false);
    release();
    expect((await tracked.done).map((r) => `${r.actionName}:${r.state}`)).toEqual(['a:succeeded', 'b:dead']);
    await until(() => ran.length === 4);
    await until(() => records.length === 4);
    expect(records.filter((r) => r.eventId === 'e1').map((r) => `${r.actionName}:${r.state}`).sort()).toEqual(['a:succeeded', 'b:dead']);
    expect(await store.deliveries.countByState()).toMatchObject({ succeeded: 2, dead: 2 });
  });

  it('runs at most `concurrency` deliveries of an action at once', async () => {
    let running = 0;
    let max = 0;
    const t = table([route('r', ['x'])], () => ['r'], [action('x', async () => {
      running++; max = Math.max(max, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return { ok: true };
    })], { x: { concurrency: 2 } });
    const { router } = await engine(t);
    await Promise.all(Array.from({ length: 8 }, () => router.route({}, { hops: 0 }).done));
    expect(max).toBe(2);
  });

  it('retries a failing delivery with growing gaps, then dead-letters it; a replay delivers it', async () => {
    const times: number[] = [];
    let fail = true;
    const t = table([route('r', ['flaky'])], () => ['r'], [action('flaky', () => {
      times.push(Date.now());
      return fail ? { ok: false, detail: 'receiver answered 500' } : { ok: true };
    })], { flaky: { retries: 3, retryBackoffMs: 40, retryMaxBackoffMs: 1_000 } });
    const e = await engine(t);
    const first = await e.router.route({}, { hops: 0 }).done;
    expect(first[0]).toMatchObject({ ok: false, state: 'pending', attempt: 1 });
    const id = first[0]!.deliveryId;
    await until(async () => (await e.store.deliveries.get(id))?.state === 'dead');
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t0, i) => t0 - times[i]!);
    // Equal jitter: the n-th gap is at least base*2^(n-1)/2 (20, 40, 80 ms), a floor that doubles, so a
    // backoff that did not grow fails the last one. Only floors: a busy machine makes any gap longer
    // (comparing one measured gap with the previous one failed when the first was stretched).
    expect(gaps[0]!).toBeGreaterThanOrEqual(18);
    expect(gaps[1]!).toBeGreaterThanOrEqual(38);
    expect(gaps[2]!).toBeGreaterThanOrEqual(78);
    const shown = (await e.store.deliveries.get(id))!;
    expect(shown.attemptLog.map((a) => a.ok)).toEqual([false, false, false, false]);
    expect(shown.lastError).toBe('receiver answered 500');
    expect(await e.store.deliveries.openEvents()).toBe(0);

    fail = false;
    expect(await e.store.deliveries.retryDead({})).toBe(1);
    e.scheduler.poke();
    await until(async () => (await e.store.deliveries.get(id))?.state === 'succeeded');
    expect(times).toHaveLength(5);
  });

  it('does not retry a delivery that says retrying cannot help', async () => {
    const t = table([route('r', ['bad'])], () => ['r'], [action('bad', () => ({ ok: false, retryable: false, detail: 'missing path' }))]);
    const records = await (await engine(t)).router.route({}, { hops: 0 }).done;
    expect(records[0]).toMatchObject({ state: 'dead', detail: 'missing path' });
  });

  it('resumes deliveries a killed process left running, with the same delivery id', async () => {
    const path = tempDbFile('queue');
    const store = SqliteStore.open(path);
    await store.deliveries.insertPlans([{ eventId: 'ev', receivedAt: Date.now(), hops: 0, event: { a: 1 }, routes: [{ route: 'r', message: { title: 't', body: 'b' }, deliveries: [{ id: 'd-1', action: 'x', stage: 0, kind: 'ReadOnly' }] }] }]);
    const claimed = await store.deliveries.claimDue('x', Date.now(), 10, { owner: 'dead-process', until: Date.now() + 3_600_000 });
    expect(claimed.map((d) => d.id)).toEqual(['d-1']);
    await store.close(); // the process "dies" with d-1 leased for an hour

    const seen: string[] = [];
    const e = await engine(table([route('r', ['x'])], () => [], [action('x', (c) => { seen.push(`${c.deliveryId}:${JSON.stringify(c.event)}`); return { ok: true }; })]), path);
    expect(e.resumed).toBe(1);
    await until(() => seen.length === 1);
    expect(seen).toEqual(['d-1:{"a":1}']);
    await until(async () => (await e.store.deliveries.get('d-1'))?.state === 'succeeded');
  });

  it('runs ReadAndWrite actions before ReadOnly ones, which see the enriched event and message', async () => {
    const seen: Array<[string, unknown, string]> = [];
    const ro = (name: string) => action(name, (c) => { seen.push([name, c.event, c.message.body]); return { ok: true }; });
    const renderer = { name: 'tpl', package: 't', render: (i: unknown) => ({ title: '', body: `owner=${(i as { owner?: string }).owner ?? '-'}` }) };
    const t = table([route('r', ['notify', 'enrich', 'audit', 'late'])], () => ['r'], [
      ro('notify'), ro('audit'), ro('late'),
      action('enrich', (c) => { seen.push(['enrich', c.event, c.message.body]); return { ok: true, eventUpdate: { owner: 'team-a' } }; }),
    ], { enrich: { kind: 'ReadAndWrite' }, late: { priority: -1 } }, renderer);
    const records = await (await engine(t)).router.route({ id: 7 }, { hops: 0 }).done;
    expect(records.every((r) => r.ok)).toBe(true);
    expect(seen[0]).toEqual(['enrich', { id: 7 }, 'owner=-']);
    expect(seen.slice(1, 3).map((s) => s[0]).sort()).toEqual(['audit', 'notify']);
    for (const s of seen.slice(1)) expect(s.slice(1)).toEqual([{ id: 7, owner: 'team-a' }, 'owner=team-a']);
    expect(seen[3]![0]).toBe('late');
  });

  it('on close, a delivery cut short by the grace period stays stored for the next start', async () => {
    const path = tempDbFile('queue');
    const e = await engine(table([route('r', ['hang'])], () => ['r'], [action('hang', (c) => new Promise((resolve) => {
      c.signal.addEventListener('abort', () => resolve({ ok: false, detail: 'aborted' }));
    }))]), path);
    const routed = e.router.route({}, { hops: 0 });
    await until(async () => (await e.store.deliveries.list({ state: 'running' })).length === 1);
    await e.close(20);
    const store = SqliteStore.open(path);
    const [d] = await store.deliveries.list({});
    expect(d).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await store.deliveries.openEvents()).toBe(1);
    await store.close();
    void routed;
  });
});

describe('planStages', () => {
  it('an event whose deliveries wait in the store is not held in memory until they run; every one is delivered once', async () => {
    // The collector on demand (not exposed by default): what a long backlog keeps alive is what each scavenge copies.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let release!: () => void;
    const open = new Promise<void>((r) => { release = r; });
    const delivered: string[] = [];
    const t = table([route('r', ['held'])], () => ['r'], [action('held', async (ctx) => {
      await open;
      delivered.push((ctx.event as { n: number }).n.toString());
      return { ok: true };
    })], { held: { concurrency: 1 } });
    // No hold past the room (SchedulerOptions.holdAhead): what overflows it waits in the store.
    const e = await engine(t, tempDbFile('queue'), { holdAhead: 0 });
    // One running and 128 handed to the lane in memory; the rest wait in the store until claimed.
    const events = Array.from({ length: 200 }, (_, n) => ({ n, pad: 'x'.repeat(1_000) }));
    const routed = events.map((event) => e.router.route(event, { hops: 0 }));
    await Promise.all(routed.map((r) => r.committed));
    const stored = new WeakRef(events[199]!);
    events.length = 0;
    // The commit loop lets go of its batch in the turn after the last commit.
    await new Promise((r) => setImmediate(r));
    gc();
    // Committed, its delivery not run yet (its `done` is pending), and no longer in memory: a claim reads it back.
    const kept = stored.deref() !== undefined;
    release();
    await Promise.all(routed.map((r) => r.done));
    expect(delivered.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 200 }, (_, n) => String(n)));
    expect(kept).toBe(false);
  });

  it('orders by priority, ReadAndWrite one by one, then ReadOnly together; serialize keeps the list order', () => {
    let n = 0;
    const policies: Record<string, { kind: 'ReadOnly' | 'ReadAndWrite'; priority: number }> = {
      a: { kind: 'ReadOnly', priority: 0 }, b: { kind: 'ReadAndWrite', priority: 0 }, c: { kind: 'ReadAndWrite', priority: 0 }, d: { kind: 'ReadOnly', priority: 5 },
    };
    const of = (x: string) => ({ retries: 0, retryBackoffMs: 1, retryMaxBackoffMs: 1, concurrency: 1, ...policies[x]! });
    expect(planStages(['a', 'b', 'c', 'd'], of, false, () => String(n++)).map((d) => [d.action, d.stage])).toEqual([['d', 0], ['b', 1], ['c', 2], ['a', 3]]);
    expect(planStages(['a', 'b', 'c', 'd'], of, true, () => String(n++)).map((d) => [d.action, d.stage])).toEqual([['a', 0], ['b', 1], ['c', 2], ['d', 3]]);
  });

  it('backoff grows exponentially with jitter and is capped', () => {
    const p = { retryBackoffMs: 100, retryMaxBackoffMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, p, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(retryDelayMs(3, p, () => 0)).toBe(200);
  });
});

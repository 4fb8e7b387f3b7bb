// No pump per commit and per answered delivery while nothing is stored to
// claim (scheduler pumpWanted): every delivery is handed over in memory, the
// store has nothing due and the safety net's timer is armed, so a pump could
// only walk an empty loop. At an offered 1,000 events/s that was ~3 pumps per
// event, each three async calls and a Set (issue 12, target 2b). Work that is
// stored (a lane full, a retry) still pumps, and is delivered; a retry's far
// timer still gives way to the safety net's second while deliveries run.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Action } from '../../src/actions/types.js';
import { DeliveryScheduler } from '../../src/delivery/scheduler.js';
import { closeEngines, engine, route, table, until } from './engine-fixture.js';

afterEach(async () => {
  vi.restoreAllMocks();
  await closeEngines();
});

const pumps = () => vi.spyOn(DeliveryScheduler.prototype as unknown as { pump(): void }, 'pump');

describe('idle pumps', () => {
  it('events handed over in memory make no pump per commit or per answered delivery', async () => {
    const spy = pumps();
    let delivered = 0;
    const action: Action = { name: 'a', type: 'test', deliver: async () => { delivered++; return { ok: true }; } };
    const { router } = await engine(table([route('r1', ['a']), route('r2', ['a'])], () => ['r1', 'r2'], [action]));
    // The first event: the start's pump has asked the store and armed the safety net's timer.
    await router.route({ n: -1 }, { hops: 0, eventId: 'e-first' }).done;
    const before = spy.mock.calls.length;
    for (let n = 0; n < 40; n++) await router.route({ n }, { hops: 0, eventId: `e${n}` }).done;
    expect(delivered).toBe(82);
    // 40 commits and 80 answered deliveries pumped 120 times or more before; the safety net's timer (1 s) may fire once.
    expect(spy.mock.calls.length - before).toBeLessThanOrEqual(2);
  });

  it('stored work still pumps and is delivered: a full lane, then its backlog claimed', async () => {
    const spy = pumps();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let delivered = 0;
    const action: Action = { name: 'a', type: 'test', deliver: async () => { await gate; delivered++; return { ok: true }; } };
    const { router } = await engine(table([route('r', ['a'])], () => ['r'], [action], { a: { concurrency: 1 } }));
    const done = Array.from({ length: 30 }, (_, n) => router.route({ n }, { hops: 0, eventId: `e${n}` }).done);
    await until(() => spy.mock.calls.length > 0);
    release();
    await Promise.all(done);
    expect(delivered).toBe(30);
  });

  it("a retry's far timer gives way to the safety net's second when an event is handed over", async () => {
    const action: Action = { name: 'a', type: 'test', deliver: async (ctx) => (ctx.eventId === 'e-retry' ? { ok: false, detail: 'try later' } : { ok: true }) };
    const e = await engine(table([route('r', ['a'])], () => ['r'], [action], { a: { retryBackoffMs: 60_000, retryMaxBackoffMs: 60_000 } }));
    const timerAt = () => (e.scheduler as unknown as { timerAt: number }).timerAt;
    await e.router.route({}, { hops: 0, eventId: 'e-retry' }).done;
    // The failed attempt's retry is due in 30-60 s: the scheduler's timer waits for it.
    await until(() => timerAt() > Date.now() + 20_000 && timerAt() < Infinity);
    await e.router.route({}, { hops: 0, eventId: 'e-ok' }).done;
    expect(timerAt()).toBeLessThanOrEqual(Date.now() + 1_000);
  });
});

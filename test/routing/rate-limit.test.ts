// Per-action rate-limit queues deliveries (none fails for being early) and a
// service's Retry-After postpones the retry at least that long.
import { afterEach, describe, expect, it } from 'vitest';
import type { Action, DeliveryContext, DeliveryResult } from '../../src/actions/types.js';
import { closeEngines, engine, route, table } from './engine-fixture.js';

function action(name: string, fn: (ctx: DeliveryContext) => Promise<DeliveryResult> | DeliveryResult): Action {
  return { name, type: 'test', deliver: async (ctx) => fn(ctx) };
}
afterEach(() => closeEngines());

describe('rate-limit', () => {
  it('spaces attempts to the limit and delivers every one of them', async () => {
    const starts: number[] = [];
    const t = table([route('r', ['x'])], () => ['r'], [action('x', () => { starts.push(Date.now()); return { ok: true }; })],
      { x: { rateLimit: { count: 1, perMs: 250 }, concurrency: 4 } });
    const { router } = await engine(t);
    const records = (await Promise.all(Array.from({ length: 4 }, () => router.route({}, { hops: 0 }).done))).flat();
    expect(records.every((r) => r.ok && r.attempt === 1)).toBe(true);
    // Three intervals of 250 ms at least between the first and the last start
    // (single gaps may shrink by scheduling jitter of the attempt before).
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(700);
  });

  it('a burst up to the count starts at once', async () => {
    const starts: number[] = [];
    const t = table([route('r', ['x'])], () => ['r'], [action('x', () => { starts.push(Date.now()); return { ok: true }; })],
      { x: { rateLimit: { count: 3, perMs: 60_000 }, concurrency: 4 } });
    const { router } = await engine(t);
    await Promise.all(Array.from({ length: 3 }, () => router.route({}, { hops: 0 }).done));
    expect(starts.length).toBe(3);
    expect(starts[2]! - starts[0]!).toBeLessThan(1_000);
  });
});

describe('Retry-After', () => {
  it('the retry waits at least what the service asked, even with a short backoff', async () => {
    const starts: number[] = [];
    const t = table([route('r', ['x'])], () => ['r'], [action('x', () => {
      starts.push(Date.now());
      return starts.length === 1 ? { ok: false, detail: '429', retryAfterMs: 1_200 } : { ok: true };
    })], { x: { retryBackoffMs: 10, retryMaxBackoffMs: 20 } });
    const { router } = await engine(t);
    router.route({}, { hops: 0 });
    const end = Date.now() + 5_000;
    while (starts.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(starts.length).toBe(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(1_150);
  });
});

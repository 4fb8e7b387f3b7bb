// An http action takes more deliveries than its concurrency and queues them
// in its client, which sends the next one the moment a connection frees
// (Action.queueAhead): its `concurrency` connections stay busy back to back
// instead of each waiting for its answer to reach the scheduler and the next
// delivery to be launched from there (issue 12). These run the real
// scheduler on a SQLite file, the real http action (on the event loop and in
// the client thread) and a real receiver that counts the requests it is
// answering at once.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DELIVERY_GUARD_MS, type Action, type DeliveryContext } from '../../src/actions/types.js';
import { HTTP_DEFAULT_TIMEOUT_MS, httpAction } from '../../src/actions/http.js';
import { queueAhead } from '../../src/actions/http-send.js';
import type { DeliveryPolicy } from '../../src/config/types.js';
import { closeEngines, engine, route, table, tempDbFile, until } from './engine-fixture.js';

const servers: Server[] = [];
const actions: Action[] = [];
afterEach(async () => {
  await closeEngines();
  for (const a of actions.splice(0)) await a.close?.();
  for (const s of servers.splice(0)) await new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
});

/** A receiver answering each request `delayMs` after it arrived, counting those it holds at once and the event numbers it got. */
async function receiver(delayMs: number) {
  const r = { url: '', inFlight: 0, maxInFlight: 0, got: [] as number[] };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      r.inFlight++;
      r.maxInFlight = Math.max(r.maxInFlight, r.inFlight);
      setTimeout(() => {
        r.inFlight--;
        r.got.push((JSON.parse(body) as { n: number }).n);
        res.end('ok');
      }, delayMs).unref();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push(server);
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`;
  return r;
}

/** The http action `ship`, counting the deliveries the scheduler has handed it and not had back (`held`). */
function shipAction(url: string, config: Record<string, unknown>, thread: boolean) {
  const inner: Action = httpAction.create({ name: 'ship', type: 'http', url, ...config }, {}, { httpThread: thread }).action!;
  actions.push(inner);
  const seen = { held: 0, maxHeld: 0 };
  const act: Action = {
    name: 'ship', type: 'http', queueAhead: inner.queueAhead,
    async deliver(ctx: DeliveryContext) {
      seen.held++;
      seen.maxHeld = Math.max(seen.maxHeld, seen.held);
      try { return await inner.deliver(ctx); } finally { seen.held--; }
    },
  };
  return { act, seen };
}

async function deliverAll(r: Awaited<ReturnType<typeof receiver>>, config: Record<string, unknown>, policy: Partial<DeliveryPolicy>, thread: boolean, events: number) {
  const ship = shipAction(r.url, config, thread);
  const t = table([route('r', ['ship'])], () => ['r'], [ship.act], { ship: policy });
  const e = await engine(t, tempDbFile('queue-ahead'));
  const records = (await Promise.all(Array.from({ length: events }, (_, n) => e.router.route({ n }, { hops: 0 }).done))).flat();
  return { records, seen: ship.seen };
}

describe.each([false, true])('an http action queueing ahead (client thread: %s)', (thread) => {
  it('is handed its concurrency plus queueAhead deliveries, and the receiver never holds more than `concurrency` requests at once', async () => {
    const r = await receiver(15);
    const { records, seen } = await deliverAll(r, { concurrency: 3 }, { concurrency: 3 }, thread, 60);
    expect(records.every((x) => x.ok && x.attempt === 1)).toBe(true);
    expect(r.got.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, n) => n));
    expect(queueAhead(3, HTTP_DEFAULT_TIMEOUT_MS)).toBe(21);
    expect(seen.maxHeld).toBe(3 + queueAhead(3, HTTP_DEFAULT_TIMEOUT_MS));
    // Exactly its connections busy: all of them used, never one more.
    expect(r.maxInFlight).toBe(3);
  });

  it('a queued delivery\'s timeout starts when it is sent: none times out because those before it were slow', async () => {
    // Each answer takes 120 ms; the timeout is 300 ms; with one connection the last delivery waits ~1 s in the queue.
    const r = await receiver(120);
    const { records, seen } = await deliverAll(r, { concurrency: 1, timeout: '300ms' }, { concurrency: 1, retries: 0 }, thread, 8);
    expect(seen.maxHeld).toBeGreaterThan(1);
    expect(records.map((x) => [x.ok, x.detail])).toEqual(Array(8).fill([true, `POST ${r.url} answered 200`]));
    expect(r.maxInFlight).toBe(1);
  });

  it('a rate-limited http action is handed no more than its concurrency (a queued delivery would start later than the limit let it)', async () => {
    const r = await receiver(15);
    const { records, seen } = await deliverAll(r, { concurrency: 2 }, { concurrency: 2, rateLimit: { count: 1_000, perMs: 1_000 } }, thread, 20);
    expect(records.every((x) => x.ok)).toBe(true);
    expect(seen.maxHeld).toBe(2);
    expect(r.maxInFlight).toBe(2);
  });
});

describe('an http action with a long timeout', () => {
  // The runner's guard (DELIVERY_GUARD_MS, 10 min) counts from the hand-over: against a target that never answers, the
  // last queued delivery waits for every one before it on its connection to time out, and must still end within it.
  it('queues fewer per connection, so its last queued delivery ends within the runner\'s guard', () => {
    expect(queueAhead(2, 120_000)).toBe(8); // a webhook's default: 4 per connection, (4 + 1) × 2 min = the guard
    expect(queueAhead(2, 5 * 60_000)).toBe(2);
    expect(queueAhead(2, DELIVERY_GUARD_MS)).toBe(0);
    for (const t of [1_000, 30_000, 120_000, 200_000, 5 * 60_000, DELIVERY_GUARD_MS]) {
      expect((queueAhead(1, t) + 1) * t).toBeLessThanOrEqual(DELIVERY_GUARD_MS);
    }
  });

  it('with a timeout as long as the guard, is handed no more than its concurrency', async () => {
    const r = await receiver(15);
    const { records, seen } = await deliverAll(r, { concurrency: 2, timeout: '10m' }, { concurrency: 2 }, false, 20);
    expect(records.every((x) => x.ok)).toBe(true);
    expect(seen.maxHeld).toBe(2);
    expect(r.maxInFlight).toBe(2);
  });
});

describe('the delivery lag backpressure watches', () => {
  it('counts deliveries waiting in an http action\'s queue, not only those waiting in the lane or the store', async () => {
    const r = await receiver(60_000);
    const ship = shipAction(r.url, { concurrency: 1 }, false);
    const e = await engine(table([route('r', ['ship'])], () => ['r'], [ship.act], { ship: { concurrency: 1 } }), tempDbFile('queue-ahead'));
    await e.router.route({ n: 0 }, { hops: 0, firstAttempts: false }).committed;
    await until(() => r.inFlight === 1);
    // One delivery, on the wire: nothing waits.
    expect(await e.scheduler.oldestWaitingAt('ship')).toBeUndefined();
    const before = Date.now();
    for (let n = 1; n <= 4; n++) await e.router.route({ n }, { hops: 0, firstAttempts: false }).committed;
    const after = Date.now();
    await until(() => ship.seen.held === 5);
    // All five handed to the action (its slots are 1 + queueAhead), four of them queued behind the one on the wire:
    // the oldest of those is the lag.
    const at = await e.scheduler.oldestWaitingAt('ship');
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(r.inFlight).toBe(1);
  });
});

describe('an action that does not queue by itself', () => {
  it('is handed no more than its concurrency', async () => {
    let held = 0;
    let maxHeld = 0;
    const act: Action = {
      name: 'x', type: 'test',
      async deliver() {
        maxHeld = Math.max(maxHeld, ++held);
        await new Promise((r) => setTimeout(r, 5));
        held--;
        return { ok: true };
      },
    };
    const e = await engine(table([route('r', ['x'])], () => ['r'], [act], { x: { concurrency: 3 } }), tempDbFile('queue-ahead'));
    await Promise.all(Array.from({ length: 30 }, (_, n) => e.router.route({ n }, { hops: 0 }).done));
    await until(() => held === 0);
    expect(maxHeld).toBe(3);
  });
});

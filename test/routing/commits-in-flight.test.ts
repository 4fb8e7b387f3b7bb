// With the SQLite writer thread, a commit is a round trip: the scheduler
// posts the plans of a turn while the previous commit is still in flight
// (the store's commitsInFlight), so the thread runs them back to back
// instead of idling while the event loop handles the first answer (issue 12,
// held ingest in thread mode). A real writer thread on a real SQLite file;
// the store is wrapped only to count the commits in flight.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryScheduler, claimAhead } from '../../src/delivery/scheduler.js';
import { DEFAULT_DELIVERY_POLICY } from '../../src/config/types.js';
import { openStore } from '../../src/store/open-store.js';
import { Database } from '../../src/store/sqlite/driver.js';
import type { EventPlan } from '../../src/delivery/plan.js';
import type { Store } from '../../src/store/types.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const plan = (n: number): EventPlan => ({
  eventId: `e${String(n).padStart(4, '0')}`, receivedAt: Date.now(), hops: 0, event: { n },
  routes: [{ route: 'r', message: { title: 't', body: 'b' }, deliveries: [{ id: `d${String(n).padStart(4, '0')}`, action: 'x', stage: 0, kind: 'ReadOnly' }] }],
});
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('commits in flight (SQLite writer thread)', () => {
  it('the plans of later turns are posted while a commit is in flight; the lane holds no more than its room in memory; every delivery runs once, in acceptance order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-inflight-'));
    dirs.push(dir);
    const store = await openStore(join(dir, 'hooker.db'), { sqliteThread: true });
    stores.push(store);
    const rows = store.deliveries;
    expect(rows.commitsInFlight).toBe(2);
    let inFlight = 0;
    let maxInFlight = 0;
    const counted = Object.create(rows) as typeof rows;
    counted.insertPlans = async (plans, held) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try { return await rows.insertPlans(plans, held); } finally { inFlight--; }
    };

    // One slot: the lane holds 1 + claimAhead(1) deliveries in memory; the rest wait in the store.
    const room = 1 + claimAhead(1);
    const ran: string[] = [];
    let gate!: () => void;
    const opened = new Promise<void>((r) => { gate = r; });
    const scheduler = new DeliveryScheduler(counted, async (d) => {
      ran.push(d.deliveryId);
      await opened;
      return { result: { ok: true }, log: [] };
    }, { policyOf: () => ({ ...DEFAULT_DELIVERY_POLICY, concurrency: 1 }) });

    // Ten plans per turn while nothing runs, past the lane's room: a commit posted while another is in
    // flight counts the deliveries that one holds for the lane (they reach its ready list only with its
    // answer), so no more than the room is handed over in memory (stored leased); the rest wait unleased.
    const total = room + 171;
    const committed: Promise<unknown>[] = [];
    for (let n = 0; n < total; n++) {
      committed.push(scheduler.accept(plan(n)).committed);
      if (n % 10 === 9) await turn();
    }
    await Promise.all(committed);
    expect(maxInFlight).toBe(2);
    const db = new Database(join(dir, 'hooker.db'), { readonly: true });
    const leased = (db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE claimed_by IS NOT NULL').get() as { n: number }).n;
    db.close();
    expect(leased).toBe(room);
    gate();

    const deadline = Date.now() + 20_000;
    while (ran.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await scheduler.close(1_000);
    const expected = Array.from({ length: total }, (_, n) => `d${String(n).padStart(4, '0')}`);
    expect(ran).toEqual(expected);
    expect(await rows.openEvents()).toBe(0);
  }, 30_000);
});

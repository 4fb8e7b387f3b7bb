// GET /events' log (src/server/event-log.ts): a ring of the last `capacity`
// entries, newest first, times written as ISO text when read, first attempts
// added only to entries still logged.
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../src/server/event-log.js';
import type { DeliveryRecord } from '../../src/delivery/scheduler.js';

const entry = (i: number) => ({ eventId: `ev-${i}`, receivedMs: Date.UTC(2026, 0, 1, 0, 0, i), hops: i % 2, matched: [`r${i}`], skipped: [], deliveries: [] });
const record = (eventId: string, attempt = 1) => ({ eventId, attempt, deliveryId: `d-${eventId}` }) as unknown as DeliveryRecord;

describe('event log', () => {
  it('keeps the last entries newest first through several wraps of its ring', () => {
    const log = new EventLog(3, true);
    expect(log.recent()).toEqual([]);
    for (let i = 1; i <= 2; i++) log.add(entry(i));
    expect(log.recent().map((e) => e.eventId)).toEqual(['ev-2', 'ev-1']);
    for (let i = 3; i <= 10; i++) {
      log.add(entry(i));
      const expected = [i, i - 1, i - 2].filter((n) => n >= 1).map((n) => `ev-${n}`);
      expect(log.recent().map((e) => e.eventId)).toEqual(expected);
      expect(log.recent(2).map((e) => e.eventId)).toEqual(expected.slice(0, 2));
    }
    expect(log.recent(1)[0]).toEqual({ eventId: 'ev-10', receivedAt: '2026-01-01T00:00:10.000Z', hops: 0, matched: ['r10'], skipped: [], deliveries: [] });
  });

  it('adds first attempts to logged entries only, not to entries the ring dropped', () => {
    const log = new EventLog(2, true);
    for (let i = 1; i <= 3; i++) log.add(entry(i));
    log.record(record('ev-1'));
    log.record(record('ev-3'));
    log.record(record('ev-3', 2));
    const [newest, older] = log.recent();
    expect(newest!.deliveries.map((d) => d.deliveryId)).toEqual(['d-ev-3']);
    expect(older!.deliveries).toEqual([]);
  });

  it('finds an older logged entry for a first attempt, before and after the ring wrapped', () => {
    const log = new EventLog(4, true);
    for (let i = 1; i <= 3; i++) log.add(entry(i));
    log.record(record('ev-1'));
    for (let i = 4; i <= 6; i++) log.add(entry(i));
    // The ring now holds ev-3 … ev-6 with its write position in the middle.
    log.record(record('ev-3'));
    log.record(record('ev-5'));
    log.record(record('ev-2'));
    const byId = new Map(log.recent(4).map((e) => [e.eventId, e.deliveries.map((d) => d.deliveryId)]));
    expect(Object.fromEntries(byId)).toEqual({ 'ev-6': [], 'ev-5': ['d-ev-5'], 'ev-4': [], 'ev-3': ['d-ev-3'] });
  });

  it('adds a first attempt to the newest of two entries with the same event id', () => {
    const log = new EventLog(3, true);
    log.add(entry(1));
    log.add(entry(1));
    log.record(record('ev-1'));
    const [newest, older] = log.recent();
    expect(newest!.deliveries).toHaveLength(1);
    expect(older!.deliveries).toHaveLength(0);
  });
});

describe('event log lookups', () => {
  /** The lookup before the binary search: newest entry first, every entry. */
  function reference(capacity: number) {
    const ring: Array<{ eventId: string; deliveries: DeliveryRecord[] }> = [];
    return {
      add(id: string) { ring.push({ eventId: id, deliveries: [] }); if (ring.length > capacity) ring.shift(); },
      record(r: DeliveryRecord) {
        if (r.attempt !== 1) return;
        for (let i = ring.length - 1; i >= 0; i--) if (ring[i]!.eventId === r.eventId) { ring[i]!.deliveries.push(r); return; }
      },
      recent: () => [...ring].reverse().map((e) => ({ eventId: e.eventId, deliveries: e.deliveries.map((d) => d.deliveryId) })),
    };
  }

  it('adds each first attempt where a look through every entry would, with ascending ids and without', () => {
    // A seeded generator: the same sequences every run.
    let seed = 12345;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    let binarySearched = 0;
    for (let round = 0; round < 300; round++) {
      const capacity = 1 + rand(40);
      const log = new EventLog(capacity, true);
      const ref = reference(capacity);
      const ids: string[] = [];
      let next = 1000;
      // Most rounds add ascending ids (the server's); some add a repeat or a smaller id now and then.
      const disorder = round % 3 === 0 ? 5 : 0;
      for (let step = 0; step < 200; step++) {
        if (rand(3) > 0 || ids.length === 0) {
          const id = disorder && rand(disorder * 4) === 0 ? String(next - rand(50)) : String(next += 1 + rand(3));
          ids.push(id);
          log.add({ eventId: id, receivedMs: 0, hops: 0, matched: [], skipped: [], deliveries: [] });
          ref.add(id);
        } else {
          // An id logged some time ago (maybe dropped from the ring), or one never logged.
          const id = rand(10) === 0 ? String(next + 1 + rand(5)) : ids[ids.length - 1 - rand(Math.min(ids.length, capacity + 10))]!;
          const r = { eventId: id, attempt: rand(5) === 0 ? 2 : 1, deliveryId: `d${step}` } as unknown as DeliveryRecord;
          if ((log as unknown as { ascending: number }).ascending >= Math.min(ids.length, capacity)) binarySearched++;
          log.record(r);
          ref.record(r);
        }
        expect(log.recent(capacity).map((e) => ({ eventId: e.eventId, deliveries: e.deliveries.map((d) => d.deliveryId) }))).toEqual(ref.recent());
      }
    }
    expect(binarySearched).toBeGreaterThan(10_000);
  });
});

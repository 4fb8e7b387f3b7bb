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

// Ids of events and deliveries: version 7 UUIDs (Hooker-Delivery-Id, the API)
// that sort in the order they were made, which keeps id-keyed indexes appending.

import { describe, expect, it } from 'vitest';
import { timeOrderedId } from '../../src/store/time-ordered-id.js';

describe('timeOrderedId', () => {
  it('gives unique version 7 UUIDs in the order they were made, starting with the time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, timeOrderedId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const ms = parseInt(ids[0]!.replace('-', '').slice(0, 12), 16);
    // 20,000 ids may run a few milliseconds ahead of the clock (4,096 per millisecond at most).
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 10);
  });

  it('carries 62 random bits: every variant and every hex digit in each random place', () => {
    const ids = Array.from({ length: 20_000 }, timeOrderedId);
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    for (const at of [20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)]) expect(new Set(ids.map((id) => id[at])).size, `position ${at}`).toBe(16);
    // No two ids share their random part (62 bits: a repeat in 20,000 would mean the bytes were reused).
    expect(new Set(ids.map((id) => id.slice(19))).size).toBe(ids.length);
  });
});

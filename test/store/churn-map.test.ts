// ChurnMap (src/churn-map.ts) replaces its Map by a copy every N insertions so
// that a long-lived table of requests in flight does not keep answered ones
// promoted. Whatever the copies, it must answer exactly as a Map would.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChurnMap } from '../../src/churn-map.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 40 }), value: fc.integer() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('ChurnMap', () => {
  it('answers as a Map after any sequence of sets, deletes and clears, across its copies', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 300 }), (every, ops) => {
      const model = new Map<number, number>();
      const m = new ChurnMap<number, number>(every);
      for (const o of ops) {
        if (o.kind === 'set') { expect(m.set(o.key, o.value)).toBe(m); model.set(o.key, o.value); }
        else if (o.kind === 'delete') expect(m.delete(o.key)).toBe(model.delete(o.key));
        else { m.clear(); model.clear(); }
        expect(m.size).toBe(model.size);
      }
      // Insertion order is kept through the copies, as a Map keeps it.
      expect([...m]).toEqual([...model]);
      expect([...m.keys()]).toEqual([...model.keys()]);
      expect([...m.values()]).toEqual([...model.values()]);
      for (let k = 0; k <= 40; k++) { expect(m.has(k)).toBe(model.has(k)); expect(m.get(k)).toBe(model.get(k)); }
    }), { seed: 15, numRuns: 2_000 });
  });

  it('copies itself while small and leaves a large map as it is', () => {
    const m = new ChurnMap<number, string>(4);
    const inner = () => (m as unknown as { map: Map<number, string> }).map;
    const first = inner();
    for (let i = 0; i < 3; i++) m.set(i, `v${i}`);
    expect(inner()).toBe(first);
    m.set(3, 'v3');
    expect(inner()).not.toBe(first);
    expect([...m.keys()]).toEqual([0, 1, 2, 3]);
    // More entries than `every` (a backlog): no copy, whose cost would grow with the map.
    for (let i = 4; i < 20; i++) m.set(i, `v${i}`);
    const big = inner();
    for (let i = 20; i < 28; i++) m.set(i, `v${i}`);
    expect(inner()).toBe(big);
    expect(m.size).toBe(28);
  });
});

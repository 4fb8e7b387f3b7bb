// ChurnMap and ChurnSet (src/churn-map.ts) replace their Map or Set by a copy
// every N insertions so that a long-lived table of requests in flight does
// not keep answered ones promoted. Whatever the copies, each must answer
// exactly as a Map or Set would; and what passed through one must be freed by
// the young-generation collector, which a plain Set's does not.

import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChurnMap, ChurnSet } from '../../src/churn-map.js';

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

type SetOp = { kind: 'add'; value: number } | { kind: 'delete'; value: number } | { kind: 'clear' };

const setOp: fc.Arbitrary<SetOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), value: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('delete' as const), value: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/** A table with a few entries live, one added and one deleted per step: a lane's deliveries on the wire. */
interface Churned { add(o: object): unknown; delete(o: object): unknown }

describe('ChurnSet', () => {
  it('answers as a Set after any sequence of adds, deletes and clears, across its copies', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(setOp, { maxLength: 300 }), (every, ops) => {
      const model = new Set<number>();
      const s = new ChurnSet<number>(every);
      for (const o of ops) {
        if (o.kind === 'add') { expect(s.add(o.value)).toBe(s); model.add(o.value); }
        else if (o.kind === 'delete') expect(s.delete(o.value)).toBe(model.delete(o.value));
        else { s.clear(); model.clear(); }
        expect(s.size).toBe(model.size);
      }
      expect([...s]).toEqual([...model]);
      expect([...s.values()]).toEqual([...model.values()]);
      for (let v = 0; v <= 40; v++) expect(s.has(v)).toBe(model.has(v));
    }), { seed: 16, numRuns: 2_000 });
  });

  it('leaves what passed through it to the young-generation collector, where an old Set keeps all of it', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
    const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
    // Bytes of the old generation grown by 20,000 objects of ~270 bytes passing through the table, 4 at a time,
    // after two scavenges: what the table kept from them.
    const promotedThrough = (table: Churned): number => {
      for (let i = 0; i < 8; i++) { const o = {}; table.add(o); table.delete(o); }
      gc(); gc(); // the table is as old as a server's after its first seconds
      const before = oldSpaceUsed();
      let live: object[] = [];
      for (let i = 0; i < 20_000; i++) {
        const o = { i, pad: new Array<number>(16).fill(i) };
        table.add(o);
        live.push(o);
        if (live.length > 4) table.delete(live.shift()!);
      }
      for (const o of live) table.delete(o);
      live = [];
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      return oldSpaceUsed() - before;
    };
    const plain = promotedThrough(new Set<object>());
    const churned = promotedThrough(new ChurnSet<object>());
    // The measure sees what a plain Set keeps (about all 20,000 objects, ~5 MB): V8 allocates an old table's
    // rebuilds in the old generation and the replaced tables keep pointing at the entries they held.
    expect(plain).toBeGreaterThan(2_000_000);
    // The ChurnSet keeps at most its first `every` insertions (its table was old until the first copy).
    expect(churned).toBeLessThan(500_000);
  });
});

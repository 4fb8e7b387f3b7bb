// The lane's list of deliveries waiting for a slot (src/delivery/fifo.ts):
// oldest first, whatever mix of pushes and shifts, across its compactions.
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/delivery/fifo.js';

describe('Fifo', () => {
  it('gives back what was pushed in order, across compactions, with length, first and iteration agreeing', () => {
    const q = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    // Pushes in runs and shifts in runs, long enough to pass the compaction threshold several times.
    for (let round = 0; round < 40; round++) {
      const pushes = (round * 7919) % 900 + 1;
      for (let i = 0; i < pushes; i++) { if (i % 3 === 0) q.pushAll([next, next + 1]), model.push(next, next + 1), next += 2; else q.push(next), model.push(next++); }
      const shifts = (round * 104729) % 1_100;
      for (let i = 0; i < shifts; i++) expect(q.shift()).toBe(model.shift());
      expect(q.length).toBe(model.length);
      expect(q.first()).toBe(model[0]);
      expect([...q]).toEqual(model);
    }
    expect(q.takeAll()).toEqual(model);
    expect(q.length).toBe(0);
    expect(q.shift()).toBeUndefined();
    expect(q.first()).toBeUndefined();
    q.push(7);
    expect([...q]).toEqual([7]);
  });
});

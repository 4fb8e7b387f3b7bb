import { describe, expect, it } from 'vitest';
import { InMemoryDeliveryQueue, type DeliveryJob } from '../../src/routing/delivery-queue.js';

const job = (actionName: string, id: string): DeliveryJob => ({
  deliveryId: id, eventId: 'e', routeName: 'r', actionName, event: {}, message: { title: '', body: '' }, hops: 0, enqueuedAt: Date.now(),
});

describe('InMemoryDeliveryQueue', () => {
  it('a slow action never holds up another action', async () => {
    const order: string[] = [];
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => { releaseSlow = r; });
    const q = new InMemoryDeliveryQueue(async (j) => {
      if (j.actionName === 'slow') await slowGate;
      order.push(j.deliveryId);
      return { result: { ok: true }, log: [] };
    });
    const slow = q.enqueue(job('slow', 's1'));
    const fast = await Promise.all([q.enqueue(job('fast', 'f1')), q.enqueue(job('fast', 'f2'))]);
    expect(fast.map((r) => r.ok)).toEqual([true, true]);
    expect(order).toEqual(['f1', 'f2']);
    expect(q.pending()).toBe(1);
    releaseSlow();
    await slow;
    expect(order).toEqual(['f1', 'f2', 's1']);
  });

  it('runs one action\'s jobs in order, one at a time', async () => {
    let running = 0;
    let maxRunning = 0;
    const order: string[] = [];
    const q = new InMemoryDeliveryQueue(async (j) => {
      running++; maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      order.push(j.deliveryId);
      running--;
      return { result: { ok: true }, log: [] };
    });
    await Promise.all(['a', 'b', 'c'].map((id) => q.enqueue(job('x', id))));
    expect(order).toEqual(['a', 'b', 'c']);
    expect(maxRunning).toBe(1);
  });

  it('turns a throwing handler into a failed record and refuses jobs after close', async () => {
    const q = new InMemoryDeliveryQueue(async () => { throw new Error('boom'); });
    const r = await q.enqueue(job('x', '1'));
    expect(r).toMatchObject({ ok: false, detail: 'action failed: boom' });
    await q.close();
    expect((await q.enqueue(job('x', '2'))).detail).toContain('shutting down');
  });

  it('aborts running deliveries when closing after the grace period', async () => {
    const q = new InMemoryDeliveryQueue((_j, signal) => new Promise((resolve) => {
      signal.addEventListener('abort', () => resolve({ result: { ok: false, detail: 'aborted' }, log: [] }));
    }));
    const p = q.enqueue(job('x', '1'));
    await q.close(20);
    expect((await p).detail).toBe('aborted');
  });
});

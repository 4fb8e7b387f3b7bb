// A commit's senders are answered before its deliveries start (scheduler
// commit): the 202 is written by the ingest handler's continuation of
// `committed`, and the deliveries the commit hands its lanes (each request
// written to its socket) and the pump (a claim, the next due time) wait for
// that microtask drain. Before, they ran first, inside the commit, and every
// 202 of the commit waited for them (issue 12, target 2b).
import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/types.js';
import { closeEngines, engine, route, table, until } from './engine-fixture.js';

afterEach(async () => {
  await closeEngines();
});

describe('answers before deliveries', () => {
  it("a commit's senders get their answers before any of its deliveries starts", async () => {
    const order: string[] = [];
    const action: Action = { name: 'a', type: 'test', deliver: async () => { order.push('deliver'); return { ok: true }; } };
    const { router } = await engine(table([route('r', ['a'])], () => ['r'], [action]));
    // As the ingest surface does: committed with a catch (ingest-pipeline.ts), awaited by an async handler that then answers.
    const answered = Array.from({ length: 4 }, (_, n) => (async () => {
      const routed = router.route({ n }, { hops: 0, eventId: `e${n}` });
      await routed.committed.catch((e: Error) => { throw e; });
      order.push('answered');
    })());
    await Promise.all(answered);
    await until(() => order.length === 8);
    expect(order).toEqual([...Array(4).fill('answered'), ...Array(4).fill('deliver')]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/types.js';
import { closeEngines, engine, route, table, until } from './engine-fixture.js';
import { NATIVE_TEMPLATES } from '../../src/templates/native-templates.js';
import type { TemplateRenderer } from '../../src/templates/template-renderer.js';

function recordingAction(name: string, calls: string[], delayMs = 0, ok = true): Action {
  return {
    name, type: 'test',
    async deliver(ctx) {
      calls.push(`${name}:start:${ctx.routeName}`);
      await new Promise((r) => setTimeout(r, delayMs));
      calls.push(`${name}:end`);
      return { ok, detail: ctx.message.body };
    },
  };
}

afterEach(() => closeEngines());

describe('EventRouter', () => {
  it('dispatches each matched route to its actions with the rendered message', async () => {
    const calls: string[] = [];
    const { router } = await engine(table([route('a', ['x']), route('b', ['x', 'y'])], () => ['a', 'b'], [recordingAction('x', calls), recordingAction('y', calls)]));
    const routed = router.route({ any: 1 }, { hops: 0 });
    expect(routed.matched).toEqual(['a', 'b']);
    const records = await routed.done;
    expect(records.map((r) => [r.routeName, r.actionName, r.ok, r.detail])).toEqual([
      ['a', 'x', true, '"a"'], ['b', 'x', true, '"b"'], ['b', 'y', true, '"b"'],
    ]);
  });

  it('serialize-actions runs a route\'s actions one after another, even after a failure', async () => {
    const calls: string[] = [];
    const { router } = await engine(table([route('s', ['first', 'second'], { serializeActions: true })], () => ['s'],
      [recordingAction('first', calls, 30, false), recordingAction('second', calls)], { first: { retries: 0 } }));
    const records = await router.route({}, { hops: 0 }).done;
    expect(calls).toEqual(['first:start:s', 'first:end', 'second:start:s', 'second:end']);
    expect(records.map((r) => [r.ok, r.state])).toEqual([[false, 'dead'], [true, 'succeeded']]);
  });

  it('evaluates only the named route when asked (tenant endpoint)', async () => {
    const calls: string[] = [];
    const { router } = await engine(table([route('a', ['x']), route('b', ['x'])], () => ['a', 'b'], [recordingAction('x', calls)]));
    const routed = router.route({}, { hops: 0, only: 'b' });
    expect(routed.matched).toEqual(['b']);
    expect((await routed.done).map((r) => r.routeName)).toEqual(['b']);
  });

  it('skips duplicates within unique-message-timeout, per route only', async () => {
    const calls: string[] = [];
    const u = route('u', ['x'], { plugins: { uniqueMessageProps: ['image'], uniqueMessageTimeoutMs: 60_000 } });
    const { router, store } = await engine(table([u, route('all', ['y'])], () => ['u', 'all'], [recordingAction('x', calls), recordingAction('y', calls)]));
    await router.route({ image: 'alpine' }, { hops: 0 }).done;
    const second = router.route({ image: 'alpine' }, { hops: 0 });
    await second.done;
    await router.route({ image: 'nginx' }, { hops: 0 }).done;
    expect(second.skipped).toEqual([{ route: 'u', reason: expect.stringContaining('unique-message-props') }]);
    expect(calls.filter((c) => c.startsWith('x:start'))).toHaveLength(2);
    // The other route of the same event is not affected.
    expect(calls.filter((c) => c.startsWith('y:start'))).toHaveLength(3);
    expect(await store.dedup.liveCount()).toBe(2);
  });

  it('records a failing template as a failed delivery with the reason, without running the action', async () => {
    const calls: string[] = [];
    const { router } = await engine(table([route('a', ['x'], { template: 'missing' })], () => ['a'], [recordingAction('x', calls)]));
    const routed = router.route({}, { hops: 0 });
    const done = await routed.done;
    expect(done).toHaveLength(1);
    expect(done[0]!.ok).toBe(false);
    expect(done[0]!.state).toBe('dead');
    expect(done[0]!.detail).toMatch(/template "missing" failed for this event: template "missing" is not loaded/);
    expect(calls).toEqual([]);
  });

  it("a native template's message is the same on a retry read from the store, for the whole event and for each item of a split route", async () => {
    const render = NATIVE_TEMPLATES.get('hooker.rawmessage.json')!;
    // As compile-templates.ts makes a bundled native template: rendered from the bare event.
    const native: TemplateRenderer = { name: 'tpl', package: 'hooker.rawmessage.json', routeIndependent: true, render, renderEvent: render };
    const sent: Array<[string, string, string]> = [];
    const tried = new Set<string>();
    const failFirst: Action = {
      name: 'x', type: 'test',
      async deliver(ctx) {
        sent.push([ctx.routeName, ctx.deliveryId, ctx.message.body]);
        const first = !tried.has(ctx.deliveryId);
        tried.add(ctx.deliveryId);
        return first ? { ok: false, retryable: true, detail: 'first attempt refused' } : { ok: true };
      },
    };
    const { router } = await engine(table([route('whole', ['x']), route('items', ['x'], { splitBy: 'items' })], () => ['whole', 'items'], [failFirst],
      { x: { retries: 1, retryBackoffMs: 1 } }, native));
    const event = { items: [{ n: 1 }, { n: 2 }], big: 1e21, name: 'e' };
    await router.route(event, { hops: 0 }).done;
    // `done` tells the first attempts; the retries are claimed from the store after them.
    await until(() => sent.length === 6);
    const byDelivery = new Map<string, string[]>();
    for (const [, id, body] of sent) byDelivery.set(id, [...(byDelivery.get(id) ?? []), body]);
    expect([...byDelivery.values()].map((b) => b.length)).toEqual([2, 2, 2]);
    for (const [first, retry] of byDelivery.values()) expect(retry).toBe(first);
    expect(new Set(sent.map(([, , body]) => body))).toEqual(new Set([render(event).body, render({ ...event, items: [{ n: 1 }] }).body, render({ ...event, items: [{ n: 2 }] }).body]));
  });
});

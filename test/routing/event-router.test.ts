import { describe, expect, it } from 'vitest';
import type { Action } from '../../src/actions/types.js';
import type { RouteConfig } from '../../src/config/types.js';
import { EventRouter, actionHandler, type RoutingTable } from '../../src/routing/event-router.js';
import { InMemoryDeliveryQueue } from '../../src/routing/delivery-queue.js';
import type { TemplateRenderer } from '../../src/templates/template-renderer.js';

function route(name: string, actions: string[], extra: Partial<RouteConfig> = {}): RouteConfig {
  return { name, actions, inputFiles: [], template: 'tpl', serializeActions: false, plugins: {}, path: 'routes[0]', ...extra };
}

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

const renderer: TemplateRenderer = {
  name: 'tpl', package: 'test',
  render: (input) => ({ title: 'T', body: JSON.stringify((input as { hooker: { route: string } }).hooker.route) }),
};

function setup(routes: RouteConfig[], matchedBy: (e: unknown) => string[], actions: Action[]) {
  const table: RoutingTable = {
    routes: new Map(routes.map((r) => [r.name, r])),
    matcher: { match: matchedBy },
    templates: new Map([['tpl', renderer]]),
    actions: new Map(actions.map((a) => [a.name, a])),
    config: {},
  };
  const queue = new InMemoryDeliveryQueue(actionHandler(() => table.actions));
  return new EventRouter(() => table, queue);
}

describe('EventRouter', () => {
  it('dispatches each matched route to its actions with the rendered message', async () => {
    const calls: string[] = [];
    const router = setup([route('a', ['x']), route('b', ['x', 'y'])], () => ['a', 'b'], [recordingAction('x', calls), recordingAction('y', calls)]);
    const routed = router.route({ any: 1 }, { hops: 0 });
    expect(routed.matched).toEqual(['a', 'b']);
    const records = await routed.done;
    expect(records.map((r) => [r.routeName, r.actionName, r.ok, r.detail])).toEqual([
      ['a', 'x', true, '"a"'], ['b', 'x', true, '"b"'], ['b', 'y', true, '"b"'],
    ]);
  });

  it('serialize-actions runs a route\'s actions one after another, even after a failure', async () => {
    const calls: string[] = [];
    const router = setup([route('s', ['first', 'second'], { serializeActions: true })], () => ['s'],
      [recordingAction('first', calls, 30, false), recordingAction('second', calls)]);
    const records = await router.route({}, { hops: 0 }).done;
    expect(calls).toEqual(['first:start:s', 'first:end', 'second:start:s', 'second:end']);
    expect(records.map((r) => r.ok)).toEqual([false, true]);
  });

  it('evaluates only the named route when asked (tenant endpoint)', async () => {
    const calls: string[] = [];
    const router = setup([route('a', ['x']), route('b', ['x'])], () => ['a', 'b'], [recordingAction('x', calls)]);
    const routed = router.route({}, { hops: 0, only: 'b' });
    expect(routed.matched).toEqual(['b']);
    expect((await routed.done).map((r) => r.routeName)).toEqual(['b']);
  });

  it('skips duplicates within unique-message-timeout', async () => {
    const calls: string[] = [];
    const r = route('u', ['x'], { plugins: { uniqueMessageProps: ['image'], uniqueMessageTimeoutMs: 60_000 } });
    const router = setup([r], () => ['u'], [recordingAction('x', calls)]);
    await router.route({ image: 'alpine' }, { hops: 0 }).done;
    const second = router.route({ image: 'alpine' }, { hops: 0 });
    await router.route({ image: 'nginx' }, { hops: 0 }).done;
    expect(second.skipped[0]!.reason).toContain('unique-message-props');
    expect(calls.filter((c) => c.startsWith('x:start'))).toHaveLength(2);
  });

  it('reports a failing template as a skipped route', async () => {
    const calls: string[] = [];
    const router = setup([route('a', ['x'], { template: 'missing' })], () => ['a'], [recordingAction('x', calls)]);
    const routed = router.route({}, { hops: 0 });
    expect(routed.skipped[0]!.reason).toContain('template failed');
    expect(await routed.done).toEqual([]);
  });
});

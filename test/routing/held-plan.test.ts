// A delivery held in memory after its commit (holdFresh) keeps what it runs
// with, not its event's plan: under a backlog it waits seconds, and a plan
// kept that long (its routes, their deliveries, the dedup and aggregation
// lists) was copied and promoted by the young-generation collector with it
// (issue 12, BENCHMARKS.md "session 14: tail"). The real router, scheduler
// and SQLite store; the plans are watched with WeakRefs and a forced GC.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Action, DeliveryContext } from '../../src/actions/types.js';
import type { EventPlan } from '../../src/delivery/plan.js';
import { NATIVE_TEMPLATES } from '../../src/templates/native-templates.js';
import type { TemplateRenderer } from '../../src/templates/template-renderer.js';
import { closeEngines, engine, route, table, tempDbFile, until } from './engine-fixture.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let open = (): void => {};
afterEach(async () => { open(); await closeEngines(); });

describe('a held delivery', () => {
  it('keeps its event (parsed once, when read) and its native message, not its plan, while it waits', async () => {
    const render = NATIVE_TEMPLATES.get('hooker.rawmessage.json')!;
    const native: TemplateRenderer = { name: 'tpl', package: 'hooker.rawmessage.json', routeIndependent: true, render, renderEvent: render };
    const gate = new Promise<void>((r) => { open = r; });
    const got: Array<{ id: string; n: unknown; body: string; text: string | undefined }> = [];
    const ship: Action = {
      name: 'ship', type: 'test',
      async deliver(ctx: DeliveryContext) {
        await gate;
        got.push({ id: ctx.deliveryId, n: (ctx.event as { n: unknown }).n, body: ctx.message.body, text: ctx.eventText });
        return { ok: true };
      },
    };
    // One lane, one delivery at a time: the first waits in the action, the others in the lane's ready list.
    const t = table(['r1', 'r2', 'r3'].map((n) => route(n, ['ship'])), () => ['r1', 'r2', 'r3'], [ship], { ship: { concurrency: 1 } }, native);
    // A matcher of the bytes (as the wasm one): routing does not read the event.
    t.matcher = { readsBytesOnly: true, match: () => ['r1', 'r2', 'r3'] };
    const e = await engine(t, tempDbFile('held-plan'));
    const plans: Array<WeakRef<EventPlan>> = [];
    const accept = e.scheduler.accept.bind(e.scheduler);
    e.scheduler.accept = (plan, opts) => { plans.push(new WeakRef(plan)); return accept(plan, opts); };
    let parses = 0;
    const texts: string[] = [];
    // In a function of its own, so no local of this test keeps a plan or its parts.
    const routeAll = async () => {
      const committed: Array<Promise<unknown>> = [];
      for (let n = 0; n < 4; n++) {
        // A canonical body left unparsed, as the ingest surface hands it over: parsed only when something reads the event.
        const text = JSON.stringify({ n, pad: 'x'.repeat(200) });
        texts.push(text);
        committed.push(e.router.route(undefined, { hops: 0, text: { text, bytes: Buffer.from(text), parse: () => { parses++; return JSON.parse(text) as unknown; } } }).committed);
      }
      await Promise.all(committed);
    };
    await routeAll();
    expect(plans).toHaveLength(4);
    // 12 deliveries: one handed to the action, 11 held in the lane; the plans are no one's after their commits.
    for (let i = 0; i < 3; i++) { await new Promise((r) => setImmediate(r)); gc(); }
    expect(plans.filter((p) => p.deref() !== undefined)).toHaveLength(0);
    expect(got).toHaveLength(0);
    expect(parses).toBe(0);
    open();
    await until(() => got.length === 12);
    // Each delivery read its own event and the raw-json message of it; each event was parsed once, for all of its deliveries.
    expect(got.map((g) => g.n).sort()).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    for (const g of got) {
      expect(g.text).toBe(texts[g.n as number]);
      expect(g.body).toBe(render(JSON.parse(texts[g.n as number]!)).body);
    }
    expect(new Set(got.map((g) => g.id)).size).toBe(12);
    expect(parses).toBe(4);
  });
});

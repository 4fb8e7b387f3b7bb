// One suite, both backends: every promise the Store interface makes is
// checked against a SQLite file and against a real PostgreSQL server
// (initdb + pg_ctl in a temp dir, see test/support/postgres.ts). Where
// replicas matter, two Store instances on the same database play two
// replicas (for SQLite the same instance: one process owns the file).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import type { EventPlan } from '../../src/delivery/plan.js';
import type { Store } from '../../src/store/types.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { NATIVE_TEMPLATES } from '../../src/templates/native-templates.js';
import { parseJson, stringifyJson } from '../../src/json/lossless.js';

let pgServer: PostgresServer | undefined;
const dirs: string[] = [];
const stores: Store[] = [];
beforeAll(async () => { pgServer = await startPostgres(); }, 120_000);
afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  pgServer?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Backend { name: string; open(): Promise<{ a: Store; b: Store }> }

const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const d = mkdtempSync(join(tmpdir(), 'hooker-suite-'));
      dirs.push(d);
      const a = await openStore(join(d, 'hooker.db'), { sqliteThread: false });
      stores.push(a);
      return { a, b: a };
    },
  },
  {
    // The same SQLite backend run in its writer thread (HOOKER_SQLITE_THREAD): every call crosses as a message.
    name: 'sqlite, writer thread',
    async open() {
      const d = mkdtempSync(join(tmpdir(), 'hooker-suite-'));
      dirs.push(d);
      const a = await openStore(join(d, 'hooker.db'), { sqliteThread: true });
      stores.push(a);
      return { a, b: a };
    },
  },
  {
    name: 'postgres',
    async open() {
      const url = await pgServer!.createDatabase();
      const a = await openStore(url);
      const b = await openStore(url);
      stores.push(a, b);
      return { a, b };
    },
  },
];

let seq = 0;
function plan(over: Partial<EventPlan> & { actions?: Array<[string, number]> } = {}): EventPlan {
  const id = `e${++seq}`;
  const actions = over.actions ?? [['x', 0]];
  return {
    eventId: id, receivedAt: Date.now(), hops: 0, event: { n: seq },
    routes: [{ route: 'r', template: 'tpl', message: { title: 't', body: `b${seq}` }, deliveries: actions.map(([action, stage], i) => ({ id: `${id}-d${i}`, action, stage, kind: 'ReadOnly' as const })) }],
    ...over,
  };
}
// Request bodies as a client sends them: the fixture events, edge cases of
// the lossless JSON path, and random JSON.
const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const fixtureBodies = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => readFileSync(new URL(f, FIXTURES), 'utf8'));
const edgeBodies = [
  '{"big":12345678901234567890123,"neg0":-0,"exp":1e21,"f":0.1,"10":"ten","9":"nine","01":"lead","4294967295":"not an index"}',
  '{"hooker":{"scan":{"passed":true}},"postee":1,"keep":"<b>&\\"q\\"</b>","\\u2028":"\\ud83d\\ude00","lone":"\\ud800","__proto__":{"x":1}}',
  '[1,{"b":2,"a":1}]', '"a string"', '42', 'null', '{"a":{"b":{"c":[[["deep"]]]}}}',
];

const ok = (t = Date.now()) => ({ ok: true, log: ['sent'], startedAt: t, finishedAt: t });
const lease = (owner: string, ms = 60_000) => ({ owner, until: Date.now() + ms });

describe.each(backends)('store ($name)', (backend) => {
  let a: Store;
  let b: Store;
  beforeAll(async () => { ({ a, b } = await backend.open()); }, 60_000);

  it('commits an event with its deliveries; a claim leases, a finish closes the event', async () => {
    const p = plan();
    expect(await a.deliveries.insertPlans([p])).toEqual([{ duplicates: [], deliveries: [`${p.eventId}-d0`] }]);
    const open = await a.deliveries.openEvents();
    const [d] = await a.deliveries.claimDue('x', Date.now(), 10, lease('r1'));
    expect(d).toMatchObject({ id: `${p.eventId}-d0`, eventId: p.eventId, route: 'r', attempts: 0, event: { n: seq }, message: { body: `b${seq}` } });
    // The stored text comes along (the http action sends it as is): the same event.
    expect(JSON.parse(d!.eventText!)).toEqual(d!.event);
    expect((await a.deliveries.get(d!.id))!.state).toBe('running');
    expect((await a.deliveries.finishAttempts([{ id: d!.id, owner: 'r1', outcome: ok() }]))[0]).toMatchObject({ state: 'succeeded', released: [] });
    expect(await a.deliveries.openEvents()).toBe(open - 1);
    expect(await a.deliveries.get(d!.id)).toMatchObject({ state: 'succeeded', attempts: 1, attemptLog: [{ ok: true, log: ['sent'] }] });
  });

  it('routes sharing one rendered message (a template rendered once per event) each get it back; a route with its own message keeps it', async () => {
    const shared = { title: 'raw', body: '{"n":"shared"}' };
    const own = { title: 'own', body: 'own body' };
    const id = `e${++seq}`;
    const p: EventPlan = {
      eventId: id, receivedAt: Date.now(), hops: 0, event: { n: 'shared' },
      routes: ['r1', 'r2', 'r3'].map((route) => ({ route, template: 'raw-json', message: route === 'r2' ? own : shared, deliveries: [{ id: `${id}-${route}`, action: 'share', stage: 0, kind: 'ReadOnly' as const }] })),
    };
    await a.deliveries.insertPlans([p]);
    const claimed = await a.deliveries.claimDue('share', Date.now(), 10, lease('r1'));
    expect(Object.fromEntries(claimed.map((d) => [d.route, d.message]))).toEqual({ r1: shared, r2: own, r3: shared });
    expect((await a.deliveries.get(`${id}-r3`))!.message).toEqual(shared);
    // An enriched message (a ReadAndWrite action's answer) replaces its own route's only.
    const enrichedMessage = { title: 'enriched', body: 'new' };
    await a.deliveries.finishAttempts([{ id: `${id}-r1`, owner: 'r1', outcome: { ...ok(), enriched: { event: { n: 'enriched' }, message: enrichedMessage } } }]);
    expect((await a.deliveries.get(`${id}-r1`))!.message).toEqual(enrichedMessage);
    expect((await a.deliveries.get(`${id}-r3`))!.message).toEqual(shared);
  });

  it("a native template's message is stored as its name and read back byte-identical (claim, deliveries, console), from the event as received", async () => {
    const random = fc.sample(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), { numRuns: 60, seed: 1206 });
    const bodies = [...fixtureBodies, ...edgeBodies, ...random];
    for (const pkg of NATIVE_TEMPLATES.keys()) {
      const render = NATIVE_TEMPLATES.get(pkg)!;
      const plans: EventPlan[] = bodies.map((text) => {
        // As the router makes it: the event parsed from the request, its message rendered once for every route.
        const event = parseJson(text);
        const id = `e${++seq}`;
        const message = render(event);
        return {
          eventId: id, receivedAt: Date.now(), hops: 0, event, eventText: stringifyJson(event),
          routes: ['r1', 'r2'].map((route) => ({ route, template: 'raw', nativeTemplate: pkg, message, deliveries: [{ id: `${id}-${route}`, action: `native-${pkg}`, stage: 0, kind: 'ReadOnly' as const }] })),
        };
      });
      await a.deliveries.insertPlans(plans);
      const claimed = await b.deliveries.claimDue(`native-${pkg}`, Date.now(), 1_000, lease('r1'));
      expect(claimed).toHaveLength(plans.length * 2);
      const byId = new Map(claimed.map((d) => [d.id, d]));
      for (const p of plans) {
        const sent = JSON.stringify(p.routes[0]!.message);
        for (const r of p.routes) expect(JSON.stringify(byId.get(`${p.eventId}-${r.route}`)!.message)).toBe(sent);
        expect(JSON.stringify((await a.deliveries.get(`${p.eventId}-r2`))!.message)).toBe(sent);
        expect((await a.console.event(p.eventId))!.runs.map((r) => JSON.stringify(r.message))).toEqual([sent, sent]);
      }
    }
  });

  it("a native template's message stays the one rendered from the event as received after an action enriched the event, until an enriched message replaces it", async () => {
    const [pkg, render] = [...NATIVE_TEMPLATES][0]!;
    const event = { alert: 'original', n: 1 };
    const message = render(event);
    const id = `e${++seq}`;
    await a.deliveries.insertPlans([{
      eventId: id, receivedAt: Date.now(), hops: 0, event, eventText: stringifyJson(event),
      routes: [{ route: 'r', template: 'raw', nativeTemplate: pkg, message, deliveries: [
        { id: `${id}-enrich`, action: 'enrich-n', stage: 0, kind: 'ReadAndWrite' as const }, { id: `${id}-after`, action: 'after-n', stage: 1, kind: 'ReadOnly' as const },
      ] }],
    }]);
    const [first] = await a.deliveries.claimDue('enrich-n', Date.now(), 10, lease('r1'));
    await a.deliveries.finishAttempts([{ id: first!.id, owner: 'r1', outcome: { ...ok(), enriched: { event: { alert: 'enriched', n: 2 } } } }]);
    const [after] = await b.deliveries.claimDue('after-n', Date.now(), 10, lease('r2'));
    expect(after).toMatchObject({ event: { alert: 'enriched', n: 2 } });
    expect(JSON.stringify(after!.message)).toBe(JSON.stringify(message));
    const replaced = { title: 'enriched', body: 'new' };
    await b.deliveries.finishAttempts([{ id: after!.id, owner: 'r2', outcome: { ...ok(), enriched: { event: { alert: 'again' }, message: replaced } } }]);
    expect((await a.deliveries.get(`${id}-after`))!.message).toEqual(replaced);
  });

  it('a live lease is never claimed by another replica; an expired one is, with the same id, and the stale owner cannot finish it', async () => {
    const p = plan({ actions: [['lease', 0]] });
    await a.deliveries.insertPlans([p]);
    const [d] = await a.deliveries.claimDue('lease', Date.now(), 10, lease('r1', 200));
    expect(d).toBeDefined();
    expect(await b.deliveries.claimDue('lease', Date.now(), 10, lease('r2'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 250));
    const [again] = await b.deliveries.claimDue('lease', Date.now(), 10, lease('r2'));
    expect(again!.id).toBe(d!.id);
    expect((await a.deliveries.finishAttempts([{ id: d!.id, owner: 'r1', outcome: ok() }]))[0]).toMatchObject({ lost: true });
    expect((await b.deliveries.finishAttempts([{ id: d!.id, owner: 'r2', outcome: ok() }]))[0]).toMatchObject({ state: 'succeeded' });
    expect((await a.deliveries.get(d!.id))!.attemptLog).toHaveLength(1);
  });

  it('deliveries held at insert (handed over in memory) are stored leased: no claim returns them, their owner finishes them, an expired lease frees them', async () => {
    const p = plan({ actions: [['held', 0], ['held', 0], ['held', 1]] });
    const [held0, held1, later] = p.routes[0]!.deliveries.map((d) => d.id);
    // The second stage is not pending yet: holding it changes nothing until its stage is released.
    await a.deliveries.insertPlans([p], { lease: lease('r1'), ids: new Set([held0!, later!]) });
    expect((await a.deliveries.get(held0!))!.state).toBe('running');
    expect((await b.deliveries.claimDue('held', Date.now(), 10, lease('r2'))).map((d) => d.id)).toEqual([held1]);
    expect((await a.deliveries.finishAttempts([{ id: held0!, owner: 'r1', outcome: ok() }]))[0]).toMatchObject({ state: 'succeeded' });
    const q = plan({ actions: [['held', 0]] });
    await a.deliveries.insertPlans([q], { lease: lease('r1', 1_000), ids: new Set([`${q.eventId}-d0`]) });
    expect(await b.deliveries.claimDue('held', Date.now(), 10, lease('r2'))).toEqual([]);
    // The holder died: once its lease expires the delivery is claimed again, same id.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await b.deliveries.claimDue('held', Date.now(), 10, lease('r2'))).map((d) => d.id)).toEqual([`${q.eventId}-d0`]);
  });

  it('two replicas claiming at once never get the same delivery', async () => {
    const plans = Array.from({ length: 60 }, () => plan({ actions: [['race', 0]] }));
    await a.deliveries.insertPlans(plans);
    const got: string[] = [];
    await Promise.all([a, b, a, b].map(async (s, i) => {
      for (;;) {
        const c = await s.deliveries.claimDue('race', Date.now(), 7, lease(`r${i}`));
        if (c.length === 0) return;
        got.push(...c.map((d) => d.id));
      }
    }));
    expect(got).toHaveLength(60);
    expect(new Set(got).size).toBe(60);
  });

  it('stages: the next stage is released once, when the last delivery of the stage finishes on either replica', async () => {
    const p = plan({ actions: [['s1', 0], ['s2', 0], ['s3', 1]] });
    await a.deliveries.insertPlans([p]);
    expect(await a.deliveries.claimDue('s3', Date.now(), 10, lease('r1'))).toEqual([]);
    const [d1] = await a.deliveries.claimDue('s1', Date.now(), 10, lease('r1'));
    const [d2] = await b.deliveries.claimDue('s2', Date.now(), 10, lease('r2'));
    const [f1, f2] = await Promise.all([
      a.deliveries.finishAttempts([{ id: d1!.id, owner: 'r1', outcome: ok() }]),
      b.deliveries.finishAttempts([{ id: d2!.id, owner: 'r2', outcome: { ok: false, detail: 'gone', log: [], startedAt: 0, finishedAt: Date.now() } }]),
    ]);
    expect([...f1[0]!.released, ...f2[0]!.released]).toEqual(['s3']);
    expect(f2[0]!.state).toBe('dead');
    const [d3] = await b.deliveries.claimDue('s3', Date.now(), 10, lease('r2'));
    expect(d3!.eventId).toBe(p.eventId);
  });

  it('finishes recorded in one batch leave what the same finishes recorded one by one leave: states, attempts, released stages, the inbox and the counters', async () => {
    // Two copies of the same events: one finished in one call, the other one call per outcome, in the same order.
    // Staged routes (two deliveries in stage 0, then 1, then 2), successes, retries, dead letters, a lost lease
    // and the same delivery twice in one batch (its second attempt after the first put it back to pending).
    const stagedPlan = (tag: string) => plan({ actions: [[`b-${tag}-a`, 0], [`b-${tag}-b`, 0], [`b-${tag}-c`, 1], [`b-${tag}-d`, 2]] });
    const single = (tag: string) => plan({ actions: [[`b-${tag}-a`, 0]] });
    const run = async (tag: string, oneByOne: boolean) => {
      const plans = [stagedPlan(tag), stagedPlan(tag), single(tag), single(tag), single(tag)];
      await a.deliveries.insertPlans(plans);
      const openBefore = await a.deliveries.openEvents();
      const counts = async () => (await a.console.routeCounters()).find((c) => c.route === 'r')!.states;
      const countsBefore = await counts();
      const claimed = (await a.deliveries.claimDue(`b-${tag}-a`, Date.now(), 100, lease('r1'))).concat(await a.deliveries.claimDue(`b-${tag}-b`, Date.now(), 100, lease('r1')));
      const id = (p: number, d: number) => `${plans[p]!.eventId}-d${d}`;
      expect(claimed.map((d) => d.id).sort()).toEqual([id(0, 0), id(0, 1), id(1, 0), id(1, 1), id(2, 0), id(3, 0), id(4, 0)].sort());
      const t = Date.now();
      const fail = (detail: string, retryAt?: number) => ({ ok: false, detail, log: [detail], startedAt: t, finishedAt: t + 1, ...(retryAt ? { retryAt } : {}) });
      const items = [
        { id: id(0, 0), owner: 'r1', outcome: ok(t) }, // the stage's other delivery is still running: nothing released
        { id: id(1, 0), owner: 'r1', outcome: ok(t) },
        { id: id(1, 1), owner: 'r1', outcome: fail('dead \ud800 "quoted"') }, // both of stage 0 final: stage 1 released
        { id: id(0, 1), owner: 'r1', outcome: ok(t) }, // releases stage 1 of the first event
        { id: id(2, 0), owner: 'r1', outcome: fail('500', t + 60_000) }, // a retry: stays pending, the event stays open
        { id: id(2, 0), owner: 'r1', outcome: ok(t) }, // its lease went with the retry: lost
        { id: id(3, 0), owner: 'other', outcome: ok(t) }, // not the owner: lost
        { id: id(4, 0), owner: 'r1', outcome: { ...ok(t), log: ['a', 'b'] } },
        { id: `${tag}-purged`, owner: 'r1', outcome: ok(t) }, // no such delivery: lost
      ];
      const results = [];
      if (oneByOne) for (const i of items) results.push((await a.deliveries.finishAttempts([i]))[0]!);
      else results.push(...await a.deliveries.finishAttempts(items));
      const deliveries = await Promise.all(plans.flatMap((p) => p.routes[0]!.deliveries.map(async (d) => {
        const got = (await a.deliveries.get(d.id))!;
        return { state: got.state, attempts: got.attempts, lastError: got.lastError, nextAt: got.attempts ? got.nextAt - t : 0, log: got.attemptLog.map((x) => ({ ...x, startedAt: x.startedAt - t, finishedAt: x.finishedAt - t })) };
      })));
      const countsAfter = await counts();
      return {
        results: results.map((r) => ({ ...r, released: r.released.map((x) => x.replace(tag, '')) })),
        deliveries, opened: openBefore - (await a.deliveries.openEvents()),
        counts: Object.fromEntries(Object.entries(countsAfter).map(([state, n]) => [state, n - countsBefore[state as keyof typeof countsBefore]])),
      };
    };
    const batched = await run('one', false);
    const oneByOne = await run('two', true);
    expect(batched).toEqual(oneByOne);
    expect(batched.results.map((r) => r.released)).toEqual([[], [], ['b--c'], ['b--c'], [], [], [], [], []]);
    expect(batched.results.map((r) => r.lost ?? false)).toEqual([false, false, false, false, false, true, true, false, true]);
    expect(batched.opened).toBe(1);
    expect(batched.deliveries[5]).toMatchObject({ state: 'dead', lastError: 'dead \ufffd "quoted"' });
  });

  it('a retry waits for its time; retryDead revives dead deliveries with a fresh budget', async () => {
    const p = plan({ actions: [['flaky', 0]] });
    await a.deliveries.insertPlans([p]);
    const [d] = await a.deliveries.claimDue('flaky', Date.now(), 10, lease('r1'));
    const retryAt = Date.now() + 60_000;
    expect((await a.deliveries.finishAttempts([{ id: d!.id, owner: 'r1', outcome: { ok: false, detail: '500', log: [], startedAt: 0, finishedAt: Date.now(), retryAt } }]))[0]!.state).toBe('pending');
    expect(await a.deliveries.claimDue('flaky', Date.now(), 10, lease('r1'))).toEqual([]);
    expect(await a.deliveries.nextDueAt()).toBeLessThanOrEqual(retryAt);
    const [later] = await a.deliveries.claimDue('flaky', retryAt, 10, lease('r1', retryAt - Date.now() + 60_000));
    expect(later!.attempts).toBe(1);
    await a.deliveries.finishAttempts([{ id: d!.id, owner: 'r1', outcome: { ok: false, detail: 'still 500', log: [], startedAt: 0, finishedAt: retryAt } }]);
    expect((await a.deliveries.list({ state: 'dead', action: 'flaky' })).map((x) => x.id)).toEqual([d!.id]);
    expect(await a.deliveries.retryDead({ action: 'flaky' })).toBe(1);
    const [revived] = await b.deliveries.claimDue('flaky', Date.now() + 1, 10, lease('r2'));
    expect(revived).toMatchObject({ id: d!.id, attempts: 0 });
  });

  it('unique-message-props: a live key refuses the route (also from the other replica), an expired one is taken over', async () => {
    const now = Date.now();
    const key = { route: 'r', key: `k${seq}`, expiresAt: now + 300 };
    const [first, second] = await Promise.all([
      a.deliveries.insertPlans([plan({ dedupKeys: [key] })]),
      b.deliveries.insertPlans([plan({ dedupKeys: [key] })]),
    ]);
    const outcomes = [first[0]!, second[0]!];
    expect(outcomes.filter((c) => c.duplicates.length === 0)).toHaveLength(1);
    expect(outcomes.filter((c) => c.duplicates[0] === 'r' && c.deliveries.length === 0)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 350));
    const [third] = await b.deliveries.insertPlans([plan({ dedupKeys: [{ ...key, expiresAt: Date.now() + 60_000 }] })]);
    expect(third!.duplicates).toEqual([]);
    expect(await a.dedup.liveCount()).toBeGreaterThanOrEqual(1);
  });

  it('split-by: a key held per route drops only the run it guards; a route name lists and retries its runs', async () => {
    const route = `split${seq}`;
    const run = (i: number, id: string) => ({ route: `${route}[${i}]`, message: { title: 't', body: `item ${i}` }, deliveries: [{ id: `${id}-${i}`, action: 'x', stage: 0, kind: 'ReadOnly' as const }] });
    const key = (k: string, i: number) => ({ route, key: k, expiresAt: Date.now() + 60_000, run: `${route}[${i}]` });
    const [first] = await a.deliveries.insertPlans([plan({ eventId: `${route}-1`, routes: [run(0, `${route}-1`), run(1, `${route}-1`)], dedupKeys: [key('A', 0), key('B', 1)] })]);
    expect(first!.duplicates).toEqual([]);
    // The same alerts again, in another order, with a new one: only the new one's run is kept.
    const [second] = await b.deliveries.insertPlans([plan({
      eventId: `${route}-2`, routes: [run(0, `${route}-2`), run(1, `${route}-2`), run(2, `${route}-2`)], dedupKeys: [key('B', 0), key('A', 1), key('C', 2)],
    })]);
    expect(second!.duplicates).toEqual([`${route}[0]`, `${route}[1]`]);
    expect(second!.deliveries).toEqual([`${route}-2-2`]);
    // Another route whose name starts the same is not one of its runs.
    await a.deliveries.insertPlans([plan({ eventId: `${route}-3`, routes: [{ ...run(0, `${route}-3`), route: `${route}x[0]` }] })]);
    const listed = await b.deliveries.list({ route });
    expect(listed.map((d) => d.route).sort()).toEqual([`${route}[0]`, `${route}[1]`, `${route}[2]`]);
  });

  it('aggregation: two replicas flushing one buffer at once send it once', async () => {
    const route = `agg${seq}`;
    for (let i = 0; i < 5; i++) await a.deliveries.insertPlans([{ ...plan(), routes: [], aggregate: [{ route, message: { title: '', body: `m${i}` } }] }]);
    expect(await b.aggregates.count(route)).toBe(5);
    expect(await b.aggregates.routes()).toContain(route);
    const built: number[] = [];
    const build = (items: Array<{ id: number }>) => {
      built.push(items.length);
      return { ...plan({ actions: [[`flush-${route}`, 0]] }), event: { aggregated: items.length } };
    };
    const flushed = await Promise.all([a.aggregates.flush(route, 100, build), b.aggregates.flush(route, 100, build)]);
    expect(flushed.sort()).toEqual([0, 5]);
    expect(built).toEqual([5]);
    expect(await a.aggregates.count(route)).toBe(0);
    expect(await a.deliveries.claimDue(`flush-${route}`, Date.now(), 10, lease('r1'))).toHaveLength(1);
    // A flush that declines (not due) leaves the buffer as it was.
    await a.deliveries.insertPlans([{ ...plan(), routes: [], aggregate: [{ route, message: { title: '', body: 'late' } }] }]);
    expect(await a.aggregates.flush(route, 100, () => undefined)).toBe(0);
    expect(await a.aggregates.count(route)).toBe(1);
  });

  it('a schedule tick is claimed once across replicas', async () => {
    const tick = Date.now();
    const got = await Promise.all([a.cluster.claimTick('s', tick), b.cluster.claimTick('s', tick), a.cluster.claimTick('s', tick)]);
    expect(got.filter(Boolean)).toHaveLength(1);
    expect(await b.cluster.claimTick('s', tick + 1000)).toBe(true);
  });

  it('scans: one active scan per target, claimed once, finished with its outcome', async () => {
    const req = { scanner: 'trivy', target: { image: 'alpine:3' } };
    const [x, y] = await Promise.all([a.scans.enqueue(req, `t${seq}`), b.scans.enqueue(req, `t${seq}`)]);
    expect([x.existing, y.existing].sort()).toEqual([false, true]);
    expect(x.record.id).toBe(y.record.id);
    const claims = await Promise.all([a.scans.claimNext(lease('r1')), b.scans.claimNext(lease('r2'))]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const rec = claims.find(Boolean)!;
    expect(rec).toMatchObject({ state: 'running', attempts: 1 });
    await a.scans.finish(rec.id, 'passed', { report: { format: 'trivy', findings: [] } as never, raw: {} });
    expect(await b.scans.get(rec.id)).toMatchObject({ state: 'passed' });
    expect(await b.scans.countByState('passed')).toBeGreaterThanOrEqual(1);
  });

  it('a claim and a finish of hundreds of deliveries (several statements of rows each) lease, record and close every one, none twice', async () => {
    // 150 events, every third with a second route: 200 deliveries, more than SQLite's 64 rows per statement.
    const plans = Array.from({ length: 150 }, (_, i) => {
      const p = plan({ actions: [['bulk', 0]] });
      if (i % 3 === 0) p.routes.push({ route: 'r2', message: { title: 't', body: 'second' }, deliveries: [{ id: `${p.eventId}-r2`, action: 'bulk', stage: 0, kind: 'ReadOnly' }] });
      return p;
    });
    await a.deliveries.insertPlans(plans);
    const open = await a.deliveries.openEvents();
    const claimed = await a.deliveries.claimDue('bulk', Date.now(), 500, lease('r1'));
    expect(claimed).toHaveLength(200);
    expect(new Set(claimed.map((d) => d.id)).size).toBe(200);
    // Every one is leased: nothing is left to claim.
    expect(await b.deliveries.claimDue('bulk', Date.now(), 500, lease('r2'))).toEqual([]);
    expect((await a.deliveries.countByState()).running).toBeGreaterThanOrEqual(200);
    // All in one batch: most succeed, every fifth dies, every seventh is retried later, one is another owner's.
    const t = Date.now();
    const outcome = (n: number) => (n % 5 === 0 ? { ok: false, detail: `dead ${n}`, log: [], startedAt: t, finishedAt: t }
      : n % 7 === 0 ? { ok: false, detail: `retry ${n}`, log: [], startedAt: t, finishedAt: t, retryAt: t + 3_600_000 } : ok(t));
    const results = await a.deliveries.finishAttempts(claimed.map((d, n) => ({ id: d.id, owner: n === 199 ? 'someone-else' : 'r1', outcome: outcome(n) })));
    expect(results.map((r) => r.state)).toEqual(claimed.map((_, n) => (n === 199 ? 'pending' : n % 5 === 0 ? 'dead' : n % 7 === 0 ? 'pending' : 'succeeded')));
    expect(results[199]!.lost).toBe(true);
    for (const n of [0, 7, 63, 64, 65, 128, 198]) {
      expect(await a.deliveries.get(claimed[n]!.id)).toMatchObject({ state: results[n]!.state, attempts: 1, ...(n % 5 === 0 ? { lastError: `dead ${n}` } : {}) });
    }
    // An event left the inbox once all its deliveries are final: not those with a retry or the lost one.
    const unfinished = new Set(claimed.filter((_, n) => n === 199 || (n % 5 !== 0 && n % 7 === 0)).map((d) => d.eventId));
    expect(await a.deliveries.openEvents()).toBe(open - (150 - unfinished.size));
  });

  it('purges finished events only, and counts states with running shown', async () => {
    // p due before q: a claim of one takes p on every backend (PostgreSQL orders equal due times arbitrarily).
    const p = plan({ actions: [['purge', 0]], receivedAt: Date.now() - 1 });
    const q = plan({ actions: [['purge', 0]] });
    await a.deliveries.insertPlans([p, q]);
    const [d] = await a.deliveries.claimDue('purge', Date.now(), 1, lease('r1'));
    await a.deliveries.finishAttempts([{ id: d!.id, owner: 'r1', outcome: ok() }]);
    await a.deliveries.claimDue('purge', Date.now(), 1, lease('r1'));
    const counts = await b.deliveries.countByState();
    expect(counts.running).toBeGreaterThanOrEqual(1);
    const purged = await a.deliveries.purgeFinished({ before: Date.now() + 1 });
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await a.deliveries.get(d!.id)).toBeUndefined();
    expect(await a.deliveries.eventBody(q.eventId)).toEqual(q.event);
    expect(await a.deliveries.list({ state: 'running', action: 'purge' })).toHaveLength(1);
  });
});

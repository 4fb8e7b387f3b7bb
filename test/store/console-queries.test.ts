// The console's list queries on a real SQLite file and on a real
// PostgreSQL server (the same assertions for both): every filter pages
// through exactly the matching events, newest first, with no repeat and no
// gap; cursors from another list are refused; text search finds words and
// prefixes and treats the user's text as text (never query syntax). The
// SQLite text index (filled behind the write path) has tests of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.js';
import { Database } from '../../src/store/sqlite/driver.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { leaseToFiller, SqliteStoreRows } from '../support/sqlite-rows.js';
import { allEventIds } from '../support/console-pages.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import type { EventPlan } from '../../src/delivery/plan.js';
import type { AttemptOutcome, DeliveryState, PurgeFilter } from '../../src/store/types.js';
import { ConsoleQueries, CursorError, type ConsoleReads, type EventListFilter } from '../../src/store/console-queries.js';

const N = 400;
const T0 = Date.UTC(2026, 5, 1);
const truth: Array<{ id: string; t: number; text: string; deliveries: Array<{ route: string; action: string; state: DeliveryState }> }> = [];
const plans: EventPlan[] = [];
for (let i = 0; i < N; i++) {
  // Several events share a timestamp, so the cursor's tie-break on the id is exercised.
  const t = T0 + Math.floor(i / 3) * 1000;
  const text = i % 7 === 0 ? `shell spawned in pod web-${i}` : i % 11 === 0 ? `quote " and (parens) OR NOT * in ${i}` : `file written ${i}`;
  const routes = i % 2 === 0 ? ['even'] : ['odd'];
  if (i % 5 === 0) routes.push('fives');
  const id = `e${String(i).padStart(4, '0')}`;
  plans.push({
    eventId: id, receivedAt: t, hops: 0, event: { text, n: i },
    routes: routes.map((route, k) => ({ route, message: { title: route, body: text }, deliveries: [{ id: `${id}-${k}`, action: k === 0 ? 'slack' : 'jira', stage: 0, kind: 'ReadOnly' as const }] })),
  });
  truth.push({ id, t, text, deliveries: routes.map((route, k) => ({ route, action: k === 0 ? 'slack' : 'jira', state: 'pending' })) });
  // Every 9th event also has a route of two stages: its second stage waits for the first.
  if (i % 9 === 4) {
    plans.at(-1)!.routes.push({ route: 'staged', message: { title: 'staged', body: text }, deliveries: [
      { id: `${id}-s0`, action: 'ticket', stage: 0, kind: 'ReadAndWrite' }, { id: `${id}-s1`, action: 'page', stage: 1, kind: 'ReadOnly' }] });
    truth.at(-1)!.deliveries.push({ route: 'staged', action: 'ticket', state: 'pending' }, { route: 'staged', action: 'page', state: 'waiting' });
  }
}
// Every 13th event's first delivery is a dead letter, most other 4th events' first succeeded, every 10th's (from 3 on) is running (leased).
const dead = (i: number) => i % 13 === 0;
const succeeded = (i: number) => i % 4 === 1 && !dead(i);
const running = (i: number) => i % 10 === 3 && !dead(i) && !succeeded(i);
for (let i = 0; i < N; i++) {
  const first = truth[i]!.deliveries[0]!;
  if (dead(i)) first.state = 'dead';
  else if (succeeded(i)) first.state = 'succeeded';
  else if (running(i)) first.state = 'running';
}

/** One engine's store with the console's reads and the shortcuts these tests fill it with. */
interface Backend {
  q: ConsoleReads;
  insertPlans(plans: EventPlan[]): Promise<unknown>;
  finishAttempt(id: string, outcome: AttemptOutcome): Promise<unknown>;
  /** Claims a delivery for a minute without finishing it: it shows as running. */
  lease(id: string): Promise<void>;
  purgeFinished(opts: PurgeFilter): Promise<number>;
  /** What the server's background indexer does (SQLite); nothing to do on PostgreSQL. */
  indexAll(): Promise<void>;
  close(): Promise<void>;
}

let pgServer: PostgresServer | undefined;

const backends: Record<'sqlite' | 'sqlite-thread' | 'postgres', () => Promise<Backend>> = {
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-console-q-'));
    const store = SqliteStore.open(join(dir, 'h.db'));
    const rows = new SqliteStoreRows(store);
    const q = new ConsoleQueries(rows.db);
    return {
      q, insertPlans: (p) => rows.insertPlans(p), finishAttempt: (id, o) => rows.finishAttempt(id, o), purgeFinished: (o) => rows.purgeFinished(o),
      async lease(id) { leaseToFiller(rows.db, id); },
      async indexAll() { expect(await q.indexText(10_000)).toBe(N); },
      async close() { await store.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  },
  // The same backend in its writer thread; the test's shortcut (a lease written directly) goes through a second connection to the file.
  async 'sqlite-thread'() {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-console-q-'));
    const file = join(dir, 'h.db');
    const store = await ThreadedSqliteStore.open(file);
    const side = new Database(file);
    side.pragma('busy_timeout = 5000');
    const lease = (id: string) => leaseToFiller(side, id);
    return {
      q: store.console, insertPlans: (p) => store.deliveries.insertPlans(p), purgeFinished: (o) => store.deliveries.purgeFinished(o),
      async finishAttempt(id, outcome) { lease(id); return store.deliveries.finishAttempts([{ id, owner: 'filler', outcome }]); },
      async lease(id) { lease(id); },
      async indexAll() { expect(await store.console.indexText(10_000)).toBe(N); },
      async close() { side.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  },
  async postgres() {
    pgServer ??= await startPostgres();
    const store = await PostgresStore.open(await pgServer.createDatabase());
    return {
      q: store.console, insertPlans: (p) => store.deliveries.insertPlans(p),
      async finishAttempt(id, outcome) {
        // As the delivery's owner would: it holds the lease first, as a claim does.
        await store.pool.query("UPDATE deliveries SET claimed_by = 'filler', lease_until = $1 WHERE id = $2", [Date.now() + 60_000, id]);
        return store.deliveries.finishAttempts([{ id, owner: 'filler', outcome }]);
      },
      purgeFinished: (o) => store.deliveries.purgeFinished(o),
      async lease(id) { await store.pool.query("UPDATE deliveries SET claimed_by = 'filler', lease_until = $1 WHERE id = $2", [Date.now() + 60_000, id]); },
      async indexAll() {},
      close: () => store.close(),
    };
  },
};

afterAll(() => pgServer?.destroy());

function expected(pred: (e: (typeof truth)[number]) => boolean): string[] {
  return truth.filter(pred).sort((a, b) => b.t - a.t || (a.id < b.id ? 1 : -1)).map((e) => e.id);
}

describe.each(['sqlite', 'sqlite-thread', 'postgres'] as const)('console queries on %s', (engine) => {
  let store: Backend;
  let q: ConsoleReads;

  beforeAll(async () => {
    store = await backends[engine]();
    q = store.q;
    await store.insertPlans(plans);
    for (let i = 0; i < N; i++) {
      if (dead(i)) await store.finishAttempt(`${truth[i]!.id}-0`, { ok: false, detail: 'answered 500', log: [], startedAt: T0, finishedAt: T0 + 1 });
      if (succeeded(i)) await store.finishAttempt(`${truth[i]!.id}-0`, { ok: true, log: [], startedAt: T0, finishedAt: T0 + 1 });
      if (running(i)) await store.lease(`${truth[i]!.id}-0`);
    }
  }, 60_000);

  afterAll(() => store?.close());

  async function all(f: EventListFilter, limit = 17): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await q.listEvents({ ...f, limit, cursor });
      ids.push(...page.items.map((e) => e.id));
      if (!page.next) return ids;
      cursor = page.next;
    }
    throw new Error('cursor never ended');
  }

  it('pages through every event newest first, no repeats, no gaps', async () => {
    expect(await all({})).toEqual(expected(() => true));
    const first = await q.listEvents({ limit: 3 });
    expect(first.items[0]!.deliveries.length).toBeGreaterThan(0);
    expect(first.items[0]!.preview).toContain('"text"');
  });

  it('filters by route, action, state and their combination, and by time', async () => {
    expect(await all({ route: 'fives' })).toEqual(expected((e) => e.deliveries.some((d) => d.route === 'fives')));
    expect(await all({ action: 'jira' })).toEqual(expected((e) => e.deliveries.some((d) => d.action === 'jira')));
    expect(await all({ state: 'dead' })).toEqual(expected((e) => e.deliveries.some((d) => d.state === 'dead')));
    expect(await all({ route: 'even', state: 'dead' })).toEqual(expected((e) => e.deliveries.some((d) => d.route === 'even' && d.state === 'dead')));
    for (const state of ['pending', 'running', 'waiting', 'succeeded'] as const) {
      expect(await all({ state }), state).toEqual(expected((e) => e.deliveries.some((d) => d.state === state)));
      expect(await all({ state, route: 'odd' }), `odd, ${state}`).toEqual(expected((e) => e.deliveries.some((d) => d.route === 'odd' && d.state === state)));
      expect(await all({ state, action: 'page' }), `page, ${state}`).toEqual(expected((e) => e.deliveries.some((d) => d.action === 'page' && d.state === state)));
    }
    expect(await all({ route: 'staged', action: 'ticket', state: 'pending' })).toEqual(expected((e) => e.deliveries.some((d) => d.route === 'staged' && d.action === 'ticket' && d.state === 'pending')));
    const since = T0 + 20_000;
    const until = T0 + 50_000;
    expect(await all({ since, until })).toEqual(expected((e) => e.t >= since && e.t < until));
    expect(await all({ since, until, route: 'odd' })).toEqual(expected((e) => e.t >= since && e.t < until && e.deliveries.some((d) => d.route === 'odd')));
  });

  it('finds words, phrases and prefixes in the event text; query syntax is plain text', async () => {
    // What the server's background indexer does (a search itself indexes only the newest 100).
    await store.indexAll();
    expect(await all({ text: 'shell' })).toEqual(expected((e) => e.text.includes('shell')));
    expect(await all({ text: 'web-14' })).toEqual(['e0014']);
    expect(await all({ text: 'spawn*' })).toEqual(expected((e) => e.text.includes('spawned')));
    expect(await all({ text: 'OR NOT' })).toEqual(expected((e) => e.text.includes('OR NOT')));
    expect(await all({ text: '" and (parens' })).toEqual(expected((e) => e.text.includes('" and (parens')));
    expect(await all({ text: '***' })).toEqual([]);
    expect(await all({ text: 'shell', state: 'dead' })).toEqual(expected((e) => e.text.includes('shell') && e.deliveries.some((d) => d.state === 'dead')));
  });

  it('refuses a cursor it did not give out, or one from another list', async () => {
    await expect(q.listEvents({ cursor: 'garbage' })).rejects.toBeInstanceOf(CursorError);
    const byText = await q.listEvents({ text: 'file', limit: 2 });
    await expect(q.listEvents({ cursor: byText.next })).rejects.toBeInstanceOf(CursorError);
  });

  it('counts the deliveries of each route by state', async () => {
    const want = new Map<string, Record<string, number>>();
    for (const e of truth) {
      for (const d of e.deliveries) {
        const states = want.get(d.route) ?? Object.fromEntries(['waiting', 'pending', 'running', 'succeeded', 'dead'].map((k) => [k, 0]));
        want.set(d.route, states);
        states[d.state]!++;
      }
    }
    const got = await q.routeCounters();
    expect(Object.fromEntries(got.map((c) => [c.route, c.states]))).toEqual(Object.fromEntries(want));
  });

  it('groups dead letters by route and action with the last error, and pages them', async () => {
    const groups = await q.deadLetterGroups();
    const n = truth.filter((e) => e.deliveries[0]!.state === 'dead').length;
    expect(groups.reduce((s, g) => s + g.count, 0)).toBe(n);
    expect(groups.every((g) => g.lastError === 'answered 500')).toBe(true);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await q.deadLetters({ route: 'even', limit: 4, cursor });
      ids.push(...p.items.map((d) => d.id));
      cursor = p.next;
    } while (cursor);
    expect(ids.sort()).toEqual(truth.filter((e) => e.deliveries[0]!.state === 'dead' && e.deliveries[0]!.route === 'even').map((e) => `${e.id}-0`).sort());
  });

  it('keeps the text index in step when events are purged', async () => {
    const before = (await all({ text: 'web-14' })).length;
    expect(before).toBe(1);
    // e0014 is finished only once its deliveries are; finish them and purge.
    for (const d of truth[14]!.deliveries.keys()) await store.finishAttempt(`e0014-${d}`, { ok: true, log: [], startedAt: T0, finishedAt: T0 + 1 });
    await store.purgeFinished({ before: T0 + 5_000 });
    expect(await all({ text: 'web-14' })).toEqual([]);
  });
});

describe('the SQLite text index', () => {
  it('indexes in the background, and a purge of the newest events lets reused rowids be indexed again', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'hooker-console-q2-'));
    const store2 = SqliteStore.open(join(d2, 'h.db'));
    const s2 = new SqliteStoreRows(store2);
    const q2 = new ConsoleQueries(s2.db);
    const plan = (id: string, text: string): EventPlan => ({ eventId: id, receivedAt: T0, hops: 0, event: { text }, routes: [{ route: 'r', message: { title: '', body: '' }, deliveries: [{ id: `${id}-d`, action: 'a', stage: 0, kind: 'ReadOnly' }] }] });
    await s2.insertPlans([plan('a', 'alpha one'), plan('b', 'bravo two')]);
    expect(await q2.indexText(1)).toBe(1);
    expect(await q2.indexText(10)).toBe(1);
    expect(await q2.indexText(10)).toBe(0);
    for (const id of ['a', 'b']) await s2.finishAttempt(`${id}-d`, { ok: true, log: [], startedAt: T0, finishedAt: T0 });
    expect(await s2.purgeFinished({})).toBe(2);
    await s2.insertPlans([plan('c', 'charlie three'), plan('d', 'delta four')]);
    // The search itself catches up with events not indexed yet.
    expect((await q2.listEvents({ text: 'delta' })).items.map((e) => e.id)).toEqual(['d']);
    expect((await q2.listEvents({ text: 'charlie' })).items.map((e) => e.id)).toEqual(['c']);
    expect((await q2.listEvents({ text: 'alpha' })).items).toEqual([]);
    await store2.close();
    rmSync(d2, { recursive: true, force: true });
  });

  it('a worker thread fills the text index of a database file in the background', async () => {
    const d3 = mkdtempSync(join(tmpdir(), 'hooker-console-q3-'));
    const store3 = SqliteStore.open(join(d3, 'h.db'));
    const s3 = new SqliteStoreRows(store3);
    const q3 = new ConsoleQueries(s3.db);
    const errors: string[] = [];
    const stop = q3.startTextIndexer((m) => errors.push(m));
    try {
      const plans: EventPlan[] = [];
      for (let i = 0; i < 450; i++) plans.push({ eventId: `w${i}`, receivedAt: T0 + i, hops: 0, event: { text: `worker word${i}` }, routes: [{ route: 'r', message: { title: '', body: '' }, deliveries: [{ id: `w${i}-d`, action: 'a', stage: 0, kind: 'ReadOnly' }] }] });
      await s3.insertPlans(plans);
      const progress = () => (s3.db.prepare('SELECT last_rowid AS n FROM events_text_progress').get() as { n: number }).n;
      const last = (s3.db.prepare('SELECT MAX(rowid) AS n FROM events').get() as { n: number }).n;
      const end = Date.now() + 20_000;
      while (progress() < last && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(progress()).toBe(last);
      // Found through the index the worker wrote (this thread indexes nothing: there is nothing left).
      expect(await q3.indexText()).toBe(0);
      expect((await q3.listEvents({ text: 'word17' })).items.map((e) => e.id)).toEqual(['w17']);
      expect(errors).toEqual([]);
    } finally {
      stop();
      await store3.close();
      rmSync(d3, { recursive: true, force: true });
    }
  });

});

describe('the SQLite route and action filters (spans of time per route and action)', () => {
  const one = (id: string, t: number, route: string, action = 'a'): EventPlan => ({
    eventId: id, receivedAt: t, hops: 0, event: { id }, routes: [{ route, message: { title: '', body: '' }, deliveries: [{ id: `${id}-d`, action, stage: 0, kind: 'ReadOnly' }] }],
  });
  async function withStore(test: (rows: SqliteStoreRows, q: ConsoleQueries) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'hooker-console-spans-'));
    const store = SqliteStore.open(join(dir, 'h.db'));
    const rows = new SqliteStoreRows(store);
    try { await test(rows, new ConsoleQueries(rows.db)); } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('finds a rare route and action on the first page however many newer events there are', async () => {
    await withStore(async (rows, q) => {
      await rows.insertPlans([one('oldest', T0, 'rare', 'rare-action')]);
      for (let b = 0; b < 60; b++) await rows.insertPlans(Array.from({ length: 100 }, (_, i) => one(`n${b}-${i}`, T0 + 10 + b * 100 + i, 'common')));
      await rows.insertPlans([one('middle', T0 + 3_005, 'rare', 'rare-action')]);
      for (const f of [{ route: 'rare' }, { action: 'rare-action' }, { route: 'rare', action: 'rare-action' }]) {
        const page = await q.listEvents(f);
        expect(page.items.map((e) => e.id), JSON.stringify(f)).toEqual(['middle', 'oldest']);
        expect(page.next).toBeUndefined();
      }
      expect((await q.listEvents({ route: 'common', limit: 3 })).items.map((e) => e.id)).toEqual(['n59-99', 'n59-98', 'n59-97']);
      expect((await q.listEvents({ route: 'nowhere' })).items).toEqual([]);
    });
  });

  it('pages one event at a time through commits spread over minutes, stored out of time order, with a time window', async () => {
    await withStore(async (rows, q) => {
      // One commit whose events are minutes apart, a later commit of older events, and events sharing a millisecond.
      const times = [0, 400, 1_500, 2_900, 60_000, 61_000, 180_000];
      await rows.insertPlans(times.map((dt, i) => one(`a${i}`, T0 + dt, i % 2 ? 'r' : 's', i % 3 ? 'x' : 'y')));
      await rows.insertPlans([one('b0', T0 - 5_000, 'r'), one('b1', T0 + 1_500, 'r'), one('b2', T0 + 1_500, 's'), one('b3', T0 + 61_000, 'r', 'y')]);
      const stored = [...times.map((dt, i) => ({ id: `a${i}`, t: T0 + dt, route: i % 2 ? 'r' : 's', action: i % 3 ? 'x' : 'y' })),
        { id: 'b0', t: T0 - 5_000, route: 'r', action: 'a' }, { id: 'b1', t: T0 + 1_500, route: 'r', action: 'a' },
        { id: 'b2', t: T0 + 1_500, route: 's', action: 'a' }, { id: 'b3', t: T0 + 61_000, route: 'r', action: 'y' }];
      const newestFirst = (keep: (e: (typeof stored)[number]) => boolean) => stored.filter(keep)
        .sort((x, y) => y.t - x.t || (y.id < x.id ? -1 : 1)).map((e) => e.id);
      const all = (f: EventListFilter) => allEventIds(q, f, 1, 50);
      for (const route of ['r', 's']) expect(await all({ route }), route).toEqual(newestFirst((e) => e.route === route));
      for (const action of ['x', 'y', 'a']) expect(await all({ action }), action).toEqual(newestFirst((e) => e.action === action));
      const since = T0 + 400;
      const until = T0 + 61_000;
      expect(await all({ route: 'r', since, until })).toEqual(newestFirst((e) => e.route === 'r' && e.t >= since && e.t < until));
      expect(await all({ action: 'y', since, until })).toEqual(newestFirst((e) => e.action === 'y' && e.t >= since && e.t < until));
    });
  });

  it('a purge drops the spans of the purged events', async () => {
    await withStore(async (rows, q) => {
      const spans = () => (rows.db.prepare('SELECT COUNT(*) AS n FROM delivery_spans').get() as { n: number }).n;
      for (let b = 0; b < 20; b++) await rows.insertPlans([one(`p${b}`, T0 + b * 10_000, 'r')]);
      expect(spans()).toBe(40);
      for (let b = 0; b < 15; b++) await rows.finishAttempt(`p${b}-d`, { ok: true, log: [], startedAt: T0, finishedAt: T0 });
      expect(await rows.purgeFinished({})).toBe(15);
      expect(spans()).toBe(10);
      expect((await q.listEvents({ route: 'r' })).items.map((e) => e.id)).toEqual(['p19', 'p18', 'p17', 'p16', 'p15']);
    });
  });

  it('commits within a span write no new one, and each event stays found; a purge or a rolled-back commit leaves no span assumed', async () => {
    await withStore(async (rows, q) => {
      const spans = () => (rows.db.prepare('SELECT COUNT(*) AS n FROM delivery_spans').get() as { n: number }).n;
      const ids: string[] = [];
      const commit = async (id: string, t: number) => { await rows.insertPlans([one(id, t, 'r')]); ids.unshift(id); };
      // Ten commits in one second: one span for the route and one for the action, reaching a second ahead.
      for (let i = 0; i < 10; i++) await commit(`w${i}`, T0 + i * 100);
      expect(spans()).toBe(2);
      await commit('later', T0 + 1_500);
      expect(spans()).toBe(4);
      for (const f of [{ route: 'r' }, { action: 'a' }]) {
        expect(await allEventIds(q, f, 1, 50), JSON.stringify(f)).toEqual(ids);
        expect(await allEventIds(q, f, 3, 50), JSON.stringify(f)).toEqual(ids);
      }
      // Everything purged, spans with it: the next commit inside the remembered span writes its own.
      for (const id of ids) await rows.finishAttempt(`${id}-d`, { ok: true, log: [], startedAt: T0, finishedAt: T0 });
      expect(await rows.purgeFinished({})).toBe(11);
      expect(spans()).toBe(0);
      await rows.insertPlans([one('after-purge', T0 + 1_600, 'r')]);
      expect(spans()).toBe(2);
      expect((await q.listEvents({ route: 'r' })).items.map((e) => e.id)).toEqual(['after-purge']);
      // A commit inside a transaction that is rolled back (as an aggregate flush's may be) leaves no span to rely on.
      expect(() => rows.db.transaction(() => {
        rows.store.deliveries.insertPlansNow([one('rolled-back', T0 + 10_000, 'r')]);
        throw new Error('rolled back');
      }).immediate()).toThrow('rolled back');
      await rows.insertPlans([one('after-rollback', T0 + 10_100, 'r')]);
      expect(spans()).toBe(4);
      expect((await q.listEvents({ route: 'r' })).items.map((e) => e.id)).toEqual(['after-rollback', 'after-purge']);
    });
  });
});

describe('the PostgreSQL text scan', () => {
  it('reads a bounded stretch of events per page and offers the next one', async () => {
    pgServer ??= await startPostgres();
    const store = await PostgresStore.open(await pgServer.createDatabase());
    try {
      const plan = (i: number, text: string): EventPlan => ({
        eventId: `b${i}`, receivedAt: T0 + i, hops: 0, event: { text },
        routes: [{ route: 'r', message: { title: '', body: '' }, deliveries: [{ id: `b${i}-d`, action: 'a', stage: 0, kind: 'ReadOnly' }] }],
      });
      // The only match is older than the newest 5,000 events.
      const plans = [plan(0, 'needle in the oldest'), ...Array.from({ length: 5_100 }, (_, i) => plan(i + 1, `hay ${i}`))];
      await store.deliveries.insertPlans(plans);
      const first = await store.console.listEvents({ text: 'needle' });
      expect(first.items).toEqual([]);
      expect(first.next).toBeDefined();
      const second = await store.console.listEvents({ text: 'needle', cursor: first.next });
      expect(second.items.map((e) => e.id)).toEqual(['b0']);
      expect(second.next).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 60_000);
});

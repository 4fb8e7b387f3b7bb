// The SQLite store run in its writer thread (HOOKER_SQLITE_THREAD=1): what the
// transport itself must keep, on a real database file. The Store's own
// promises are checked for this mode by the shared suites (store-suite,
// console-queries, db-size-guard); here: errors come back as errors with
// their message and kind, calls run in the order they were made, close()
// lets calls made before it finish, and a thread that dies fails every
// pending and later call and shows in health() instead of leaving calls hanging.

import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import Database from 'better-sqlite3';
import { CursorError } from '../../src/store/console-queries.js';
import { StoreUnavailableError, type EventPlan, type FinishItem } from '../../src/store/types.js';
import { parseJson } from '../../src/json/lossless.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function dbFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'hooker-writer-'));
  dirs.push(d);
  return join(d, 'hooker.db');
}

function plan(id: string, over: Partial<EventPlan> = {}): EventPlan {
  return {
    eventId: id, receivedAt: Date.now(), hops: 0, event: { id },
    routes: [{ route: 'r', message: { title: 't', body: id }, deliveries: [{ id: `${id}-d`, action: 'a', stage: 0, kind: 'ReadOnly' }] }],
    ...over,
  };
}
const lease = { owner: 'me', until: Number.MAX_SAFE_INTEGER };
const ok = { ok: true, log: [], startedAt: 1, finishedAt: 1 };

describe('SQLite store in its writer thread', () => {
  it('answers a failed statement with the same error as the store on the event loop: message and SQLite code', async () => {
    const threaded = await ThreadedSqliteStore.open(dbFile());
    const inLoop = SqliteStore.open(dbFile());
    try {
      const errors = [];
      for (const s of [threaded, inLoop]) {
        await s.deliveries.insertPlans([plan('same')]);
        errors.push(await s.deliveries.insertPlans([plan('same')]).then(() => undefined, (e: Error) => e));
      }
      const [fromThread, fromLoop] = errors as [Error & { code?: string }, Error & { code?: string }];
      expect(fromThread).toBeInstanceOf(Error);
      expect(fromThread.message).toBe(fromLoop.message);
      expect(fromThread.message).toMatch(/UNIQUE constraint failed: events\.id/);
      expect(fromThread.code).toBe(fromLoop.code);
      expect(fromThread.code).toMatch(/^SQLITE_CONSTRAINT/);
      // Nothing of the refused batch was written, and the thread goes on answering.
      expect(await threaded.deliveries.openEvents()).toBe(1);
    } finally {
      await threaded.close();
      await inLoop.close();
    }
  });

  it('keeps the kind of an error the server answers differently: a bad console cursor is a CursorError (400)', async () => {
    const store = await ThreadedSqliteStore.open(dbFile());
    try {
      const e = await store.console.listEvents({ cursor: 'not-a-cursor' }).then(() => undefined, (x: Error) => x);
      expect(e).toBeInstanceOf(CursorError);
    } finally {
      await store.close();
    }
  });

  it('runs calls in the order they were made, even when none waits for the one before', async () => {
    const store = await ThreadedSqliteStore.open(dbFile());
    try {
      // Fired together: the claim must see the insert, the finish the claim, the count the finish.
      const inserted = store.deliveries.insertPlans([plan('e1'), plan('e2'), plan('e3')]);
      const claimed = store.deliveries.claimDue('a', Date.now() + 1_000, 10, lease);
      const finished = store.deliveries.finishAttempts([{ id: 'e2-d', owner: 'me', outcome: ok }]);
      const open = store.deliveries.openEvents();
      const counts = store.deliveries.countByState(Date.now() + 1_000);
      expect((await inserted).map((c) => c.deliveries)).toEqual([['e1-d'], ['e2-d'], ['e3-d']]);
      expect((await claimed).map((d) => d.id)).toEqual(['e1-d', 'e2-d', 'e3-d']);
      expect((await finished)[0]!.state).toBe('succeeded');
      expect(await open).toBe(2);
      expect((await counts).succeeded).toBe(1);
      // Dedup keys are taken by the first of two plans sent at once, never the second.
      const key = { route: 'r', key: 'k', expiresAt: Number.MAX_SAFE_INTEGER };
      const [first, second] = await Promise.all([
        store.deliveries.insertPlans([plan('k1', { dedupKeys: [key] })]),
        store.deliveries.insertPlans([plan('k2', { dedupKeys: [key] })]),
      ]);
      expect(first[0]!.duplicates).toEqual([]);
      expect(second[0]!.duplicates).toEqual(['r']);
    } finally {
      await store.close();
    }
  });

  it('answers an ingest commit before the claims made ahead of it in the same turn, and every delivery is still claimed once', async () => {
    const store = await ThreadedSqliteStore.open(dbFile());
    try {
      await store.deliveries.insertPlans(Array.from({ length: 100 }, (_, i) => plan(`old${i}`)));
      const order: string[] = [];
      const now = Date.now() + 1_000;
      // A scheduler's claims and an ingest commit made in one turn: they reach the thread in one message.
      const claims = Array.from({ length: 20 }, () => store.deliveries.claimDue('a', now, 10, lease).then((c) => { order.push('claim'); return c; }));
      const commit = store.deliveries.insertPlans([plan('new')]).then((c) => { order.push('commit'); return c; });
      expect((await commit)[0]!.deliveries).toEqual(['new-d']);
      const claimed = (await Promise.all(claims)).flat().map((d) => d.id);
      // The commit did not wait for the 20 claims queued before it (its 202 waits for it)...
      expect(order[0]).toBe('commit');
      // ... and each of the 101 due deliveries, the new one included, was claimed exactly once.
      expect(claimed).toHaveLength(101);
      expect(new Set(claimed).size).toBe(101);
      expect(claimed).toContain('new-d');
    } finally {
      await store.close();
    }
  });

  it('takes an ingest commit that arrives while it works through a backlog of claims ahead of the rest of that backlog', async () => {
    const file = dbFile();
    const store = await ThreadedSqliteStore.open(file);
    const other = new Database(file);
    try {
      await store.deliveries.insertPlans(Array.from({ length: 30 }, (_, i) => plan(`old${i}`)));
      const order: string[] = [];
      const now = Date.now() + 1_000;
      // Another writer holds the database: the thread's first claim waits for it (busy timeout), the other 29 queue behind.
      other.exec('BEGIN IMMEDIATE');
      const claims = Array.from({ length: 30 }, () => store.deliveries.claimDue('a', now, 1, lease).then((c) => { order.push('claim'); return c; }));
      await new Promise((r) => setImmediate(r));
      // A later turn: its message arrives while the thread is busy with the backlog's first call.
      const commit = store.deliveries.insertPlans([plan('new')]).then((c) => { order.push('commit'); return c; });
      await new Promise((r) => setImmediate(r));
      other.exec('COMMIT');
      await commit;
      const claimed = (await Promise.all(claims)).flat().map((d) => d.id);
      // Answered after at most the one claim that was running, not after all 30 that were queued.
      expect(order.indexOf('commit')).toBeLessThanOrEqual(1);
      expect(new Set(claimed).size).toBe(30);
    } finally {
      other.close();
      await store.close();
    }
  });

  it('stores a batch of plans of every shape, and their finishes, exactly as the store on the event loop does', async () => {
    // Commits and finishes cross to the thread as flat arrays (writer-protocol.ts): whatever a plan or an
    // outcome holds must arrive whole. Same calls on both stores, then every table compared row by row.
    const files = [dbFile(), dbFile()];
    const stores = [await ThreadedSqliteStore.open(files[0]!), SqliteStore.open(files[1]!)];
    const shared = { title: 'one message', body: 'rendered once for two routes', url: 'https://example.test/x' };
    const at = 1_700_000_000_000;
    const plans = (): EventPlan[] => [
      {
        eventId: 'a', receivedAt: at, hops: 2, event: { big: 1 }, eventText: '{"big":12345678901234567890.50,"s":"\u00e9"}',
        routes: [
          { route: 'r1', template: 'tpl', message: shared, deliveries: [{ id: 'a-1', action: 'x', stage: 0, kind: 'ReadAndWrite' }, { id: 'a-2', action: 'y', stage: 1, kind: 'ReadOnly' }] },
          { route: 'r2', message: shared, deliveries: [{ id: 'a-3', action: 'x', stage: 0, kind: 'ReadOnly' }] },
          { route: 'raw', template: 'raw-json', nativeTemplate: 'hooker.rawmessage.json', message: { title: '', body: 'not stored' }, deliveries: [{ id: 'a-4', action: 'y', stage: 0, kind: 'ReadOnly' }] },
          { route: 'bad', message: { title: '', body: '', templateError: 'template failed' }, deliveries: [{ id: 'a-5', action: 'x', stage: 0, kind: 'ReadOnly' }] },
        ],
        dedupKeys: [{ route: 'r2', key: 'k', expiresAt: at + 60_000 }],
        aggregate: [{ route: 'agg', message: { title: 'a', body: 'b' } }],
      },
      // r2's key is live: that route is refused as a duplicate, the rest stored.
      {
        eventId: 'b', receivedAt: at + 1, hops: 0, event: parseJson('{"n":1e400,"list":[1,2,3]}'),
        routes: [
          { route: 'r2', message: { title: 't', body: 'b' }, deliveries: [{ id: 'b-1', action: 'x', stage: 0, kind: 'ReadOnly' }] },
          { route: 'r3', message: { title: 't3', body: 'b3' }, deliveries: [{ id: 'b-2', action: 'x', stage: 0, kind: 'ReadOnly' }] },
        ],
        dedupKeys: [{ route: 'r2', key: 'k', expiresAt: at + 60_000 }],
      },
      { eventId: 'c', receivedAt: at + 2, hops: 0, event: { nothing: 'matched' }, routes: [] },
    ];
    const held = { lease: { owner: 'me', until: at + 1_000 }, ids: new Set(['a-1', 'b-2']) };
    const outcomes = new Map<string, FinishItem['outcome']>([
      ['a-1', { ok: true, log: ['sent', 'answered 200'], startedAt: at + 10, finishedAt: at + 11, enriched: { event: parseJson('{"big":12345678901234567890.50,"added":true}'), message: { title: 'new', body: 'enriched' } } }],
      ['a-3', { ok: false, detail: 'HTTP 503', log: [], startedAt: at + 12, finishedAt: at + 13, retryAt: at + 500 }],
      ['a-4', { ok: false, detail: 'gave up \ud800', log: ['x'], startedAt: at + 14, finishedAt: at + 15 }],
      ['b-2', { ok: true, log: [], startedAt: at + 16, finishedAt: at + 17 }],
    ]);
    try {
      const commits = [];
      const results = [];
      for (const s of stores) {
        commits.push(await s.deliveries.insertPlans(plans(), held));
        const claimed = await s.deliveries.claimDue('x', at + 100, 10, { owner: 'me', until: at + 1_000 });
        claimed.push(...await s.deliveries.claimDue('y', at + 100, 10, { owner: 'me', until: at + 1_000 }));
        // Two owners in one batch: another replica's attempt on a delivery this one holds is not recorded (lost).
        const items: FinishItem[] = [...outcomes].map(([id, outcome]) => ({ id, owner: 'me', outcome }));
        items.push({ id: 'a-5', owner: 'someone else', outcome: { ok: true, log: [], startedAt: at + 18, finishedAt: at + 19 } });
        results.push({ claimed: claimed.map((d) => [d.id, d.message, d.eventText]), finished: await s.deliveries.finishAttempts(items) });
      }
      expect(commits[0]).toEqual(commits[1]);
      expect(commits[0]![1]).toEqual({ duplicates: ['r2'], deliveries: ['b-2'] });
      expect(results[0]).toEqual(results[1]);
      expect(results[0]!.finished.map((r) => r.state)).toEqual(['succeeded', 'pending', 'dead', 'succeeded', 'pending']);
      expect(results[0]!.finished[0]!.released).toEqual(['y']);
      expect(results[0]!.finished[4]!.lost).toBe(true);
    } finally {
      for (const s of stores) await s.close();
    }
    const dump = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return Object.fromEntries(['events', 'route_runs', 'deliveries', 'attempts', 'dedup_keys', 'aggregate_items', 'delivery_counts', 'delivery_spans']
          // Rows in a fixed order whatever the table's key (some are WITHOUT ROWID).
          .map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all().map((r) => JSON.stringify(r)).sort()]));
      } finally {
        db.close();
      }
    };
    const [thread, loop] = files.map(dump);
    expect(thread!.events).toHaveLength(2);
    expect(thread!.attempts).toHaveLength(4);
    expect(thread).toEqual(loop);
  });

  it('runs finishes queued back to back as one, and answers each with what it would get alone', async () => {
    // Finishes fired in one turn reach the thread together; it records them in one transaction. Each
    // call's results must be its own, as the event-loop store gives them one call after the other:
    // a stage released by a later call, a delivery finished twice across calls, lost outcomes.
    const files = [dbFile(), dbFile()];
    const stores = [await ThreadedSqliteStore.open(files[0]!), SqliteStore.open(files[1]!)];
    const at = 1_700_000_000_000;
    const staged: EventPlan = {
      eventId: 's', receivedAt: at, hops: 0, event: { s: 1 },
      routes: [{ route: 'st', message: { title: 't', body: 's' }, deliveries: [
        { id: 's-a', action: 'x', stage: 0, kind: 'ReadOnly' }, { id: 's-b', action: 'x', stage: 0, kind: 'ReadOnly' }, { id: 's-c', action: 'y', stage: 1, kind: 'ReadOnly' }] }],
    };
    const plans = [staged, ...Array.from({ length: 40 }, (_, i) => plan(`p${i}`, { receivedAt: at + 1 + i }))];
    const ids = new Set(plans.flatMap((p) => p.routes.flatMap((r) => r.deliveries.map((d) => d.id))));
    const held = { lease: { owner: 'me', until: at + 3_600_000 }, ids };
    const fail = (n: number, retryAt?: number) => ({ ok: false, detail: `failed ${n}`, log: [`try ${n}`], startedAt: at + n, finishedAt: at + n + 1, ...(retryAt ? { retryAt } : {}) });
    const done = (n: number) => ({ ok: true, log: [`sent ${n}`], startedAt: at + n, finishedAt: at + n + 1 });
    const calls: FinishItem[][] = [
      [{ id: 's-a', owner: 'me', outcome: done(1) }, { id: 'p0-d', owner: 'me', outcome: fail(2, at + 60_000) }],
      [{ id: 'p1-d', owner: 'me', outcome: fail(3) }],
      // The stage's last delivery: releases s-c, in this call's results.
      [{ id: 's-b', owner: 'me', outcome: done(4) }, { id: 'p0-d', owner: 'me', outcome: done(5) }, { id: 'nothing', owner: 'me', outcome: done(6) }],
      [{ id: 'p2-d', owner: 'someone else', outcome: done(7) }, { id: 'p1-d', owner: 'me', outcome: done(8) }],
      // Many more than one call's worth, past the thread's limit for finishes run together.
      ...Array.from({ length: 37 }, (_, i) => Array.from({ length: 15 }, (_, k) => ({ id: `p${3 + i}-d`, owner: 'me', outcome: k === 0 ? done(10 + i) : fail(10 + k) }))),
    ];
    const results: unknown[] = [];
    try {
      for (const s of stores) await s.deliveries.insertPlans(plans, held);
      // The thread's: all in one turn. The event loop's: one after the other.
      results.push(await Promise.all(calls.map((c) => stores[0]!.deliveries.finishAttempts(c))));
      const one: unknown[] = [];
      for (const c of calls) one.push(await stores[1]!.deliveries.finishAttempts(c));
      results.push(one);
      expect(results[0]).toEqual(results[1]);
      const [first, , third, fourth] = results[0] as Array<Array<{ state: string; released: string[]; lost?: boolean }>>;
      expect(first!.map((r) => r.state)).toEqual(['succeeded', 'pending']);
      expect(third!.map((r) => [r.released, r.lost ?? false])).toEqual([[['y'], false], [[], true], [[], true]]);
      expect(fourth!.map((r) => r.lost ?? false)).toEqual([true, true]);
      expect(await stores[0]!.deliveries.openEvents()).toBe(await stores[1]!.deliveries.openEvents());
    } finally {
      for (const s of stores) await s.close();
    }
    const dump = (file: string) => {
      const db = new Database(file, { readonly: true });
      try {
        return Object.fromEntries(['events', 'deliveries', 'attempts', 'delivery_counts']
          .map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all().map((r) => JSON.stringify(r)).sort()]));
      } finally {
        db.close();
      }
    };
    const [thread, loop] = files.map(dump);
    expect(thread!.attempts).toHaveLength(4 + 37);
    expect(thread).toEqual(loop);
  });

  // Commits that queue while the thread is busy are committed as one transaction (writer-thread.ts
  // takeCommits). To make them queue for sure, another connection holds the write lock, so the
  // thread's first commit waits (busy timeout) while the test posts the others, one per turn (one
  // message each). The same commits made one after the other on a second file are the reference.
  async function queuedCommits(commits: Array<{ plans: EventPlan[]; held?: { lease: { owner: string; until: number }; ids: Set<string> } }>) {
    const files = [dbFile(), dbFile()];
    // No checkpoints (and under SQLite's 1,000 pages, none automatic): the WAL's frames are what the commits wrote.
    const stores = await Promise.all(files.map((f) => ThreadedSqliteStore.open(f, { checkpointWorker: false })));
    const holders = files.map((f) => new Database(f));
    const walFrames = (i: number) => statSync(`${files[i]}-wal`).size / (24 + 4096);
    const answer = (p: Promise<unknown>) => p.then((c) => ({ ok: c }), (e: Error) => ({ error: e.message }));
    // Received before the others (the span it writes covers theirs in both files).
    const first = { plans: [plan('first', { receivedAt: Math.min(...commits.flatMap((c) => c.plans.map((p) => p.receivedAt))) - 1 })] };
    try {
      // Queued: the first commit waits for the lock, the others arrive meanwhile.
      const before = walFrames(0);
      holders[0]!.exec('BEGIN IMMEDIATE');
      const blocked = answer(stores[0]!.deliveries.insertPlans(first.plans));
      const queued: Array<Promise<unknown>> = [];
      for (const c of commits) {
        await new Promise((r) => setImmediate(r));
        queued.push(answer(stores[0]!.deliveries.insertPlans(c.plans, c.held)));
      }
      await new Promise((r) => setTimeout(r, 20));
      holders[0]!.exec('COMMIT');
      await blocked;
      const together = await Promise.all(queued);
      const framesTogether = walFrames(0) - before;
      // One after the other.
      const start = walFrames(1);
      await answer(stores[1]!.deliveries.insertPlans(first.plans));
      const alone: unknown[] = [];
      for (const c of commits) alone.push(await answer(stores[1]!.deliveries.insertPlans(c.plans, c.held)));
      const framesAlone = walFrames(1) - start;
      const open = await Promise.all(stores.map((s) => s.deliveries.openEvents()));
      return { together, alone, framesTogether, framesAlone, open, files };
    } finally {
      for (const h of holders) h.close();
      for (const s of stores) await s.close();
    }
  }
  const dump = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return Object.fromEntries(['events', 'route_runs', 'deliveries', 'dedup_keys', 'delivery_counts', 'delivery_spans', 'lease_owners']
        .map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all().map((r) => JSON.stringify(r)).sort()]));
    } finally {
      db.close();
    }
  };

  it('commits queued while it was busy as one transaction, each answered with what it would get alone', async () => {
    const at = Date.now();
    const key = [{ route: 'r', key: 'same', expiresAt: at + 60_000 }];
    const commits = [
      { plans: [plan('q1', { dedupKeys: key }), plan('q2')], held: { lease: { owner: 'me', until: at + 1_000 }, ids: new Set(['q1-d']) } },
      // The key the commit before took: this route is a duplicate, as when committed after it.
      { plans: [plan('q3', { dedupKeys: key })] },
      { plans: [plan('q4'), plan('q5'), plan('q6')], held: { lease: { owner: 'other', until: at + 2_000 }, ids: new Set(['q5-d', 'q6-d']) } },
      { plans: [plan('q7', { routes: [] })] },
      { plans: Array.from({ length: 8 }, (_, i) => plan(`q8-${i}`)) },
    ];
    const r = await queuedCommits(commits);
    expect(r.together).toEqual(r.alone);
    expect(r.together[1]).toEqual({ ok: [{ duplicates: ['r'], deliveries: [] }] });
    expect(r.open).toEqual([1 + 13, 1 + 13]);
    // One transaction: the last pages of each table and index written once, not once per commit.
    expect(r.framesTogether).toBeLessThan(r.framesAlone * 0.6);
    expect(dump(r.files[0]!)).toEqual(dump(r.files[1]!));
  });

  it('when commits queued together fail as one, runs them one by one: only the failing one fails', async () => {
    const commits = [
      { plans: [plan('f1')] },
      // An event id stored already: this commit's transaction fails alone, as it would unmerged.
      { plans: [plan('f2'), plan('f1')] },
      { plans: [plan('f3')] },
    ];
    const r = await queuedCommits(commits);
    expect(r.together).toEqual(r.alone);
    expect((r.together[1] as { error: string }).error).toMatch(/UNIQUE constraint failed: events\.id/);
    expect(r.open).toEqual([3, 3]);
    expect(dump(r.files[0]!)).toEqual(dump(r.files[1]!));
  });

  it('close() lets every call made before it commit, then refuses new calls; the file holds them all', async () => {
    const file = dbFile();
    const store = await ThreadedSqliteStore.open(file);
    const commits = Array.from({ length: 50 }, (_, i) => store.deliveries.insertPlans([plan(`c${i}`)]));
    const closed = store.close();
    await expect(store.deliveries.openEvents()).rejects.toThrow(/closed/);
    await closed;
    expect((await Promise.all(commits)).every((c) => c[0]!.deliveries.length === 1)).toBe(true);
    expect(store.health()).toMatchObject({ ok: false });
    const again = SqliteStore.open(file);
    try {
      expect(await again.deliveries.openEvents()).toBe(50);
    } finally {
      await again.close();
    }
  });

  it('a thread that dies fails the pending calls and every later one with StoreUnavailableError, and health says so', async () => {
    const store = await ThreadedSqliteStore.open(dbFile());
    expect(store.health()).toEqual({ ok: true });
    const pending = Array.from({ length: 20 }, (_, i) => store.deliveries.insertPlans([plan(`p${i}`)]));
    // As a native crash or an out-of-memory abort of that thread would end it.
    await (store as unknown as { worker: Worker }).worker.terminate();
    const outcomes = await Promise.allSettled(pending);
    // Calls the thread had answered before it ended stand; none is left hanging, the rest failed.
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(StoreUnavailableError);
    const later = await store.deliveries.claimDue('a', Date.now(), 10, lease).then(() => undefined, (e: Error) => e);
    expect(later).toBeInstanceOf(StoreUnavailableError);
    expect(later!.message).toMatch(/SQLite writer thread stopped/);
    const health = store.health();
    expect(health.ok).toBe(false);
    expect(health.reason).toMatch(/SQLite writer thread stopped/);
    await store.close();
  });

  it('a database that cannot be opened fails the open with the reason, and no thread is left running', async () => {
    const dir = dbFile();
    mkdirSync(dir); // a directory where the file should be
    const e = await ThreadedSqliteStore.open(dir).then(() => undefined, (x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e!.message).toMatch(/directory|unable to open|SQLITE_CANTOPEN/i);
  });
});

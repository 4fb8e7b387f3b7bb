import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, migrate, type SqliteDatabase } from '../../src/store/sqlite/db.js';
import { allEventIds } from '../support/console-pages.js';

const dirs: string[] = [];
const dbs: SqliteDatabase[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-db-'));
  dirs.push(dir);
  return join(dir, 'nested', 'hooker.db');
}
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A new database file as a version that had only the first `steps` hooker-core steps left it (the migration tests' start). */
async function coreAt(steps: number): Promise<{ path: string; db: SqliteDatabase }> {
  const { CORE_MIGRATIONS } = await import('../../src/store/sqlite/schema.js');
  const path = tempPath();
  const db = openDatabase(path);
  migrate(db, 'hooker-core', CORE_MIGRATIONS.slice(0, steps));
  return { path, db };
}

describe('openDatabase', () => {
  it('creates the directory and opens in WAL mode', () => {
    const db = openDatabase(tempPath());
    dbs.push(db);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });
});

describe('migrate', () => {
  it('applies each step once, even across reopenings, and continues with appended steps', () => {
    const path = tempPath();
    const steps = ['CREATE TABLE a (x INTEGER)', 'INSERT INTO a VALUES (1)'];
    let db = openDatabase(path);
    expect(migrate(db, 'test', steps)).toBe(2);
    expect(migrate(db, 'test', steps)).toBe(0);
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    expect(migrate(db, 'test', [...steps, 'INSERT INTO a VALUES (2)'])).toBe(1);
    expect(db.prepare('SELECT COUNT(*) AS n FROM a').get()).toEqual({ n: 2 });
  });

  it('keeps migration sets of different owners apart', () => {
    const db = openDatabase(tempPath());
    dbs.push(db);
    migrate(db, 'one', ['CREATE TABLE one_t (x)']);
    expect(migrate(db, 'two', ['CREATE TABLE two_t (x)'])).toBe(1);
  });

  it('rolls back a failing step and its record', () => {
    const db = openDatabase(tempPath());
    dbs.push(db);
    expect(() => migrate(db, 'bad', ['CREATE TABLE ok_t (x)', 'CREATE TABLE ok_t (x)'])).toThrow();
    const rows = db.prepare('SELECT step FROM schema_migrations WHERE name = ?').all('bad');
    expect(rows).toEqual([{ step: 0 }]);
    expect(migrate(db, 'bad', ['CREATE TABLE ok_t (x)', 'CREATE TABLE ok_t2 (x)'])).toBe(1);
  });
});

describe('hooker-core step 5: a message shared by routes is stored once', () => {
  it('stores the shared text once per event, and still reads runs written before the step', async () => {
    const { SqliteDeliveryRows } = await import('../../src/store/sqlite/delivery-rows.js');
    // A database as the previous version left it: steps 0-4, one event with one route run.
    let { path, db } = await coreAt(5);
    db.prepare("INSERT INTO events (id, received_at, hops, body, open_deliveries) VALUES ('old', 1, 0, '{\"v\":1}', 1)").run();
    db.prepare("INSERT INTO route_runs (event_id, route, template, message) VALUES ('old', 'r', 't', '{\"title\":\"old\",\"body\":\"b\"}')").run();
    db.prepare("INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at) VALUES ('old-d', 'old', 'r', 'x', 0, 'ReadOnly', 'pending', 0, 1, 1, 1)").run();
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    const rows = new SqliteDeliveryRows(db);
    const body = 'S'.repeat(5_000);
    const shared = { title: 'raw', body };
    await rows.insertPlans([{
      eventId: 'new', receivedAt: 2, hops: 0, event: { v: 2 },
      routes: ['r1', 'r2', 'r3'].map((route) => ({ route, template: 'raw-json', message: shared, deliveries: [{ id: `new-${route}`, action: 'x', stage: 0, kind: 'ReadOnly' as const }] })),
    }]);
    const stored = db.prepare("SELECT (SELECT SUM(length(message)) FROM route_runs WHERE event_id = 'new') AS runs, (SELECT length(message) FROM events WHERE id = 'new') AS event").get() as { runs: number; event: number };
    expect(stored.runs).toBeLessThan(body.length);
    expect(stored.event).toBeGreaterThan(body.length);
    const claimed = await rows.claimDue('x', 10, 10, { owner: 'o', until: 1e15 });
    expect(Object.fromEntries(claimed.map((d) => [d.id, d.message]))).toEqual({
      'old-d': { title: 'old', body: 'b' }, 'new-r1': shared, 'new-r2': shared, 'new-r3': shared,
    });
  });
});

describe("a native template's message is kept as the template's name", () => {
  it('stores no copy of the event text for it, and the claim renders the same text again', async () => {
    const { SqliteDeliveryRows } = await import('../../src/store/sqlite/delivery-rows.js');
    const { NATIVE_TEMPLATES } = await import('../../src/templates/native-templates.js');
    const db = openDatabase(tempPath());
    dbs.push(db);
    const rows = new SqliteDeliveryRows(db);
    const event = { alert: 'x'.repeat(5_000), n: 1 };
    const message = NATIVE_TEMPLATES.get('hooker.rawmessage.json')!(event);
    await rows.insertPlans([{
      eventId: 'ev', receivedAt: 2, hops: 0, event,
      routes: ['r1', 'r2', 'r3'].map((route) => ({ route, template: 'raw-json', nativeTemplate: 'hooker.rawmessage.json', message, deliveries: [{ id: `d-${route}`, action: 'x', stage: 0, kind: 'ReadOnly' as const }] })),
    }]);
    const stored = db.prepare("SELECT (SELECT SUM(length(message)) FROM route_runs WHERE event_id = 'ev') AS runs, (SELECT length(body) + IFNULL(length(message), 0) FROM events WHERE id = 'ev') AS event").get() as { runs: number; event: number };
    expect(stored.runs).toBeLessThan(200);
    expect(stored.event).toBeLessThan(5_100);
    const claimed = await rows.claimDue('x', 10, 10, { owner: 'o', until: 1e15 });
    expect(claimed.map((d) => JSON.stringify(d.message))).toEqual([JSON.stringify(message), JSON.stringify(message), JSON.stringify(message)]);
  });
});

describe('hooker-core step 6: delivery counters instead of two console indexes', () => {
  it('migrates a database of the previous version: counters from its rows, kept through inserts, finishes, retries and purges', async () => {
    const { SqliteDeliveryRows } = await import('../../src/store/sqlite/delivery-rows.js');
    const { ConsoleQueries } = await import('../../src/store/console-queries.js');
    // A database as the previous version left it (steps 0-5): events in the inbox, delivered and dead.
    let { path, db } = await coreAt(6);
    const ev = db.prepare('INSERT INTO events (id, received_at, hops, body, open_deliveries) VALUES (?, ?, 0, ?, ?)');
    const run = db.prepare("INSERT INTO route_runs (event_id, route, template, message) VALUES (?, ?, 't', '{\"title\":\"\",\"body\":\"b\"}')");
    const del = db.prepare('INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, 0, ?, ?, ?)');
    const states = ['pending', 'succeeded', 'dead', 'succeeded'] as const;
    for (let i = 0; i < 40; i++) {
      const state = states[i % 4]!;
      ev.run(`old${i}`, 1000 + i, `{"i":${i}}`, state === 'pending' ? 1 : 0);
      run.run(`old${i}`, i % 2 ? 'odd' : 'even');
      del.run(`old${i}-d`, `old${i}`, i % 2 ? 'odd' : 'even', 'x', 'ReadOnly', state, 1000 + i, 1000 + i, 1000 + i);
    }
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    const rows = new SqliteDeliveryRows(db);
    const q = new ConsoleQueries(db);
    const truth = () => {
      const out: Record<string, Record<string, number>> = {};
      for (const r of db.prepare('SELECT route, state, COUNT(*) AS n FROM deliveries GROUP BY route, state').all() as Array<{ route: string; state: string; n: number }>) {
        (out[r.route] ??= { waiting: 0, pending: 0, running: 0, succeeded: 0, dead: 0 })[r.state] = r.n;
      }
      return out;
    };
    const counters = async () => Object.fromEntries((await q.routeCounters()).map((c) => [c.route, c.states]));
    expect(await counters()).toEqual(truth());
    expect(await rows.countByState()).toEqual({ waiting: 0, pending: 10, running: 0, succeeded: 20, dead: 10 });
    // The lists by state read the new indexes: the inbox for pending, the dead letters' own index.
    expect((await q.listEvents({ state: 'pending', limit: 100 })).items.map((e) => e.id)).toHaveLength(10);
    expect((await q.listEvents({ state: 'dead', route: 'even', limit: 100 })).items.map((e) => e.id)).toEqual(['old38', 'old34', 'old30', 'old26', 'old22', 'old18', 'old14', 'old10', 'old6', 'old2']);
    expect((await q.deadLetterGroups()).map((g) => [g.route, g.count])).toEqual([['even', 10]]);
    // New events, a two-stage route, finishes, a dead letter revived, a purge.
    await rows.insertPlans([{
      eventId: 'new', receivedAt: 5000, hops: 0, event: { n: 1 },
      routes: [{ route: 'odd', message: { title: '', body: 'b' }, deliveries: [{ id: 'new-a', action: 'x', stage: 0, kind: 'ReadAndWrite' }, { id: 'new-b', action: 'y', stage: 1, kind: 'ReadOnly' }] }],
    }]);
    expect(await counters()).toEqual(truth());
    const claimed = await rows.claimDue('x', 10_000, 100, { owner: 'o', until: Date.now() + 60_000 });
    expect(await rows.countByState()).toMatchObject({ running: claimed.length, pending: 11 - claimed.length, waiting: 1 });
    await rows.finishAttempts(claimed.map((d) => ({ id: d.id, owner: 'o', outcome: { ok: true, log: [], startedAt: 1, finishedAt: 2 } })));
    expect(await counters()).toEqual(truth());
    expect(await rows.retryDead({ route: 'even' })).toBe(10);
    expect(await counters()).toEqual(truth());
    expect(await rows.purgeFinished({})).toBeGreaterThan(0);
    expect(await counters()).toEqual(truth());
    expect(await rows.countByState()).toMatchObject({ succeeded: 1, dead: 0, pending: 11, waiting: 0 });
  });
});

describe('hooker-core step 7: route and action spans instead of two console indexes', () => {
  it('migrates a database of the previous version: its events listed by route and action, before and after new ones', async () => {
    const { SqliteDeliveryRows } = await import('../../src/store/sqlite/delivery-rows.js');
    const { ConsoleQueries } = await import('../../src/store/console-queries.js');
    // A database as the previous version left it (steps 0-6), several events per millisecond, with a two-stage route.
    let { path, db } = await coreAt(7);
    const ev = db.prepare('INSERT INTO events (id, received_at, hops, body, open_deliveries) VALUES (?, ?, 0, ?, 1)');
    const run = db.prepare("INSERT INTO route_runs (event_id, route, template, message) VALUES (?, ?, 't', '{\"title\":\"\",\"body\":\"b\"}')");
    const del = db.prepare("INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'ReadOnly', ?, 0, ?, ?, ?)");
    const old: Array<{ id: string; routes: string[]; actions: string[] }> = [];
    for (let i = 0; i < 60; i++) {
      const id = `old${String(i).padStart(2, '0')}`;
      const t = 1000 + Math.floor(i / 2) * 700;
      const route = i % 3 ? 'common' : 'third';
      ev.run(id, t, `{"i":${i}}`);
      run.run(id, route);
      del.run(`${id}-a`, id, route, 'x', 0, 'pending', t, t, t);
      const e = { id, routes: [route], actions: ['x'] };
      if (i % 10 === 7) {
        run.run(id, 'staged');
        del.run(`${id}-s0`, id, 'staged', 'y', 0, 'pending', t, t, t);
        del.run(`${id}-s1`, id, 'staged', 'z', 1, 'waiting', t, t, t);
        e.routes.push('staged');
        e.actions.push('y', 'z');
      }
      old.push(e);
    }
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    const rows = new SqliteDeliveryRows(db);
    const q = new ConsoleQueries(db);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name IN ('deliveries_route_newest', 'deliveries_action_newest')").all()).toEqual([]);
    /** Every page of a filter, 7 events at a time, as ids newest first. */
    const all = (f: { route?: string; action?: string }) => allEventIds(q, f, 7, 100);
    const expected = (keep: (e: (typeof old)[number]) => boolean) => old.filter(keep).map((e) => e.id).reverse();
    for (const route of ['common', 'third', 'staged']) expect(await all({ route }), route).toEqual(expected((e) => e.routes.includes(route)));
    for (const action of ['x', 'y', 'z']) expect(await all({ action }), action).toEqual(expected((e) => e.actions.includes(action)));
    // Events stored by this version are found with the old ones.
    await rows.insertPlans([{
      eventId: 'new', receivedAt: 90_000, hops: 0, event: { n: 1 },
      routes: [{ route: 'third', message: { title: '', body: 'b' }, deliveries: [{ id: 'new-a', action: 'z', stage: 0, kind: 'ReadOnly' }] }],
    }]);
    expect(await all({ route: 'third' })).toEqual(['new', ...expected((e) => e.routes.includes('third'))]);
    expect(await all({ action: 'z' })).toEqual(['new', ...expected((e) => e.actions.includes('z'))]);
    expect(await all({ route: 'common', action: 'z' })).toEqual([]);
  });
});

describe('hooker-core step 8: lease owners as short codes', () => {
  it("frees the previous version's leases, keeps owners apart, and gives no rolled-back owner's code to another", async () => {
    const { SqliteDeliveryRows } = await import('../../src/store/sqlite/delivery-rows.js');
    // A database as the previous version left it (steps 0-7): deliveries leased by owners' names, one of them '1'.
    let { path, db } = await coreAt(8);
    const far = Date.now() + 600_000;
    for (const [i, owner] of ['host/1/abc', '1', null].entries()) {
      db.prepare('INSERT INTO events (id, received_at, hops, body, open_deliveries) VALUES (?, 1000, 0, \'{}\', 1)').run(`e${i}`);
      db.prepare("INSERT INTO route_runs (event_id, route, template, message) VALUES (?, 'r', 't', '{\"title\":\"\",\"body\":\"b\"}')").run(`e${i}`);
      db.prepare("INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at, claimed_by, lease_until) VALUES (?, ?, 'r', 'x', 0, 'ReadOnly', 'pending', 0, 1000, 1000, 1000, ?, ?)")
        .run(`d${i}`, `e${i}`, owner, owner ? far : 0);
    }
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    const rows = new SqliteDeliveryRows(db);
    const leased = () => db.prepare("SELECT id FROM deliveries WHERE claimed_by IS NOT NULL OR lease_until > 0 ORDER BY id").pluck().all();
    expect(leased()).toEqual([]);
    const ok = { ok: true, log: [], startedAt: 1, finishedAt: 2 };
    // The old owners hold nothing now: their outcomes are not recorded.
    expect((await rows.finishAttempts([{ id: 'd0', owner: 'host/1/abc', outcome: ok }, { id: 'd1', owner: '1', outcome: ok }])).map((r) => r.lost)).toEqual([true, true]);
    // An owner held back by a rolled-back commit: its code is not cached, and not confused with the next owner's.
    const plan = (id: string) => ({ eventId: id, receivedAt: 2000, hops: 0, event: {}, routes: [{ route: 'r', message: { title: '', body: 'b' }, deliveries: [{ id: `${id}-d`, action: 'y', stage: 0, kind: 'ReadOnly' as const }] }] });
    expect(() => db.transaction(() => {
      rows.insertPlansNow([plan('gone')], { lease: { owner: 'rolled back', until: far }, ids: new Set(['gone-d']) });
      throw new Error('roll back');
    })()).toThrow('roll back');
    const claimed = await rows.claimDue('x', 5000, 10, { owner: 'new', until: far });
    expect(claimed.map((d) => d.id).sort()).toEqual(['d0', 'd1', 'd2']);
    await rows.insertPlans([plan('held')], { lease: { owner: '1', until: far }, ids: new Set(['held-d']) });
    const codes = db.prepare('SELECT DISTINCT claimed_by AS c FROM deliveries WHERE claimed_by IS NOT NULL ORDER BY c').all() as Array<{ c: string }>;
    expect(codes).toHaveLength(2);
    for (const { c } of codes) expect(c.length).toBeLessThanOrEqual(2);
    const results = await rows.finishAttempts([
      { id: 'd0', owner: 'rolled back', outcome: ok }, { id: 'd1', owner: '1', outcome: ok }, { id: 'd2', owner: 'new', outcome: ok },
      { id: 'held-d', owner: 'new', outcome: ok },
    ]);
    expect(results.map((r) => r.lost ?? false)).toEqual([true, true, false, true]);
    expect((await rows.finishAttempts([{ id: 'held-d', owner: '1', outcome: ok }, { id: 'd0', owner: 'new', outcome: ok }])).map((r) => r.state)).toEqual(['succeeded', 'succeeded']);
    // d1 is still leased by 'new'. Renewals and releases go by the code too: only its owner's count.
    await rows.release(['d1'], 'someone else');
    await rows.renewLeases(['d1'], { owner: '1', until: far + 1 });
    expect(db.prepare("SELECT lease_until FROM deliveries WHERE id = 'd1'").get()).toEqual({ lease_until: far });
    expect(leased()).toEqual(['d1']);
    await rows.release(['d1'], 'new');
    expect(leased()).toEqual([]);
  });
});

describe('hooker-core step 9: a success kept in its delivery row', () => {
  it("reads the previous version's attempts as before, and keeps a recurring success in the row from then on", async () => {
    const { SqliteDeliveryRows } = await import('../../src/store/sqlite/delivery-rows.js');
    // A database as the previous version left it (steps 0-8): a delivery that failed, then succeeded (two attempts rows),
    // and three deliveries leased by the owner with code 1.
    let { path, db } = await coreAt(9);
    db.prepare("INSERT INTO lease_owners (code, owner) VALUES (1, 'me')").run();
    for (let i = 0; i < 4; i++) {
      db.prepare('INSERT INTO events (id, received_at, hops, body, open_deliveries) VALUES (?, 1000, 0, \'{}\', ?)').run(`e${i}`, i === 0 ? 0 : 1);
      db.prepare("INSERT INTO route_runs (event_id, route, template, message) VALUES (?, 'r', 't', '{\"title\":\"\",\"body\":\"b\"}')").run(`e${i}`);
      db.prepare("INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at, claimed_by, lease_until) VALUES (?, ?, 'r', 'x', 0, 'ReadOnly', ?, ?, 1000, 1000, ?, ?, ?)")
        .run(`d${i}`, `e${i}`, i === 0 ? 'succeeded' : 'pending', i === 0 ? 2 : 0, i === 0 ? 1_500 : 1_000, i === 0 ? null : '1', i === 0 ? 0 : Date.now() + 600_000);
    }
    db.prepare("INSERT INTO attempts (delivery_id, started_at, finished_at, ok, detail, log) VALUES ('d0', 1100, 1200, 0, 'answered 500 (attempt 1 of 2, will retry)', '[\"-> 500\"]')").run();
    db.prepare("INSERT INTO attempts (delivery_id, started_at, finished_at, ok, detail, log) VALUES ('d0', 1400, 1500, 1, 'answered 200', '[\"-> 200\"]')").run();
    db.close();
    db = openDatabase(path);
    dbs.push(db);
    const rows = new SqliteDeliveryRows(db);
    expect((await rows.get('d0'))!.attemptLog).toEqual([
      { startedAt: 1100, finishedAt: 1200, ok: false, detail: 'answered 500 (attempt 1 of 2, will retry)', log: ['-> 500'] },
      { startedAt: 1400, finishedAt: 1500, ok: true, detail: 'answered 200', log: ['-> 200'] },
    ]);
    expect(db.prepare('SELECT ok_text, ok_ms FROM deliveries WHERE id = ?').get('d1')).toEqual({ ok_text: null, ok_ms: null });
    // The leases of step 8 still hold. The same answer three times: met once, it is an attempts row; then kept in the row.
    const answer = (t: number) => ({ ok: true, detail: 'answered 200', log: ['-> 200'], startedAt: t, finishedAt: t + 30 });
    for (const [i, t] of [[1, 2_000], [2, 3_000], [3, 4_000]] as const) {
      expect((await rows.finishAttempts([{ id: `d${i}`, owner: 'me', outcome: answer(t) }]))[0]).toMatchObject({ state: 'succeeded' });
      expect((await rows.get(`d${i}`))!.attemptLog).toEqual([{ startedAt: t, finishedAt: t + 30, ok: true, detail: 'answered 200', log: ['-> 200'] }]);
    }
    expect(db.prepare('SELECT id, ok_text IS NOT NULL AS inRow, ok_ms FROM deliveries ORDER BY id').all()).toEqual([
      { id: 'd0', inRow: 0, ok_ms: null }, { id: 'd1', inRow: 0, ok_ms: null }, { id: 'd2', inRow: 1, ok_ms: 30 }, { id: 'd3', inRow: 1, ok_ms: 30 },
    ]);
    expect(db.prepare("SELECT delivery_id FROM attempts WHERE delivery_id <> 'd0'").pluck().all()).toEqual(['d1']);
    // A purge deletes the deliveries; the text stays for the next ones.
    expect(await rows.purgeFinished({})).toBe(4);
    expect(db.prepare('SELECT COUNT(*) FROM attempt_texts').pluck().get()).toBe(1);
  });
});

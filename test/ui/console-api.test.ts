// The console's JSON API over a real socket (in-process server, on a real
// SQLite file and on a real PostgreSQL server: the same assertions for
// both): what the browser test does not reach. Replay by selection and by
// route, purge only with confirmation, the playground's template errors at
// line and column and its evaluation limits, scans with their events, the
// config with secrets masked, bad cursors, and the console being off
// without HOOKER_ADMIN_TOKEN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from '../e2e/server-harness.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

let server: RunningServer;
let rx: Receiver;
let cookie = '';
let csrf = '';
let failing = true;
let pgServer: PostgresServer | undefined;

const CFG = (url: string) => `
routes:
  - name: alerts
    input: |
      input.kind == "alert"
    actions: [out]
    template: raw-json
  - name: audit
    actions: [out]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: out
    type: http
    enable: true
    retries: 0
    url: ${url}/hook?token=sup3rsecret
`;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.httpUrl}/api/ui/${path}`, {
    method,
    headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(method !== 'GET' ? { 'x-csrf-token': csrf } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

async function ingest(event: unknown): Promise<string> {
  const res = await fetch(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  return ((await res.json()) as { eventId: string }).eventId;
}

afterAll(() => pgServer?.destroy());

describe.each(['sqlite', 'postgres'] as const)('console API on %s', (engine) => {
  beforeAll(async () => {
    failing = true;
    rx = await receiver(() => (failing ? 500 : 200));
    let db: Record<string, string> = {};
    if (engine === 'postgres') {
      pgServer ??= await startPostgres();
      db = { HOOKER_DB: await pgServer.createDatabase() };
    }
    server = await serve(tempDir(), CFG(rx.url), { HOOKER_ADMIN_TOKEN: 'adm-console', ...db });
    const res = await fetch(`${server.httpUrl}/api/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'adm-console' }) });
    expect(res.status).toBe(200);
    cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    csrf = ((await res.json()) as { csrf: string }).csrf;
    for (let i = 0; i < 6; i++) await ingest({ kind: i % 2 ? 'alert' : 'info', n: i });
    await until(async () => (await server.engine.store.deliveries.countByState()).dead === 9);
  }, 90_000);

  afterAll(async () => { await server?.close(); await rx?.close(); });

  it('lists stored events newest first, filtered, searched and one by one', async () => {
    const first = (await api('GET', 'events?limit=4')).body;
    expect(first.items).toHaveLength(4);
    const second = (await api('GET', `events?limit=4&cursor=${first.next}`)).body;
    expect(second.items).toHaveLength(2);
    expect(second.next).toBeUndefined();
    const all = [...first.items, ...second.items] as Array<{ id: string; receivedAt: number; preview: string; deliveries: Array<{ route: string; state: string }> }>;
    expect(new Set(all.map((e) => e.id)).size).toBe(6);
    expect(all.map((e) => e.receivedAt)).toEqual([...all.map((e) => e.receivedAt)].sort((x, y) => y - x));
    const alerts = all.filter((e) => e.preview.includes('"alert"')).map((e) => e.id).sort();
    expect(alerts).toHaveLength(3);
    expect((await api('GET', 'events?text=alert')).body.items.map((e: { id: string }) => e.id).sort()).toEqual(alerts);
    expect((await api('GET', 'events?route=alerts')).body.items.map((e: { id: string }) => e.id).sort()).toEqual(alerts);
    expect((await api('GET', 'events?state=dead')).body.items).toHaveLength(6);
    expect((await api('GET', 'events?text=nosuchword')).body.items).toEqual([]);
    const one = (await api('GET', `events/${alerts[0]}`)).body;
    expect(one.event.body).toMatchObject({ kind: 'alert' });
    expect(one.event.runs.map((r: { route: string }) => r.route).sort()).toEqual(['alerts', 'audit']);
    expect(one.deliveries).toHaveLength(2);
    const routes = (await api('GET', 'routes')).body.routes as Array<{ name: string; counters: Record<string, number> }>;
    expect(Object.fromEntries(routes.map((r) => [r.name, r.counters.dead]))).toEqual({ alerts: 3, audit: 6 });
  });

  it('replays a selection of dead letters, then all of a route', async () => {
    const groups = (await api('GET', 'dead-letters/groups')).body.groups as Array<{ route: string; action: string; count: number; lastError: string }>;
    expect(groups.map((g) => [g.route, g.count]).sort()).toEqual([['alerts', 3], ['audit', 6]]);
    // The action's URL carries a token: masked in what the console shows.
    expect(groups[0]!.lastError).not.toContain('sup3rsecret');
    const page = (await api('GET', 'dead-letters?route=audit&limit=4')).body;
    expect(page.items).toHaveLength(4);
    const rest = (await api('GET', `dead-letters?route=audit&limit=4&cursor=${page.next}`)).body;
    expect(rest.items).toHaveLength(2);
    expect(rest.next).toBeUndefined();

    failing = false;
    const ids = page.items.slice(0, 2).map((d: { id: string }) => d.id);
    expect((await api('POST', 'dead-letters/replay', { ids })).body).toEqual({ retried: 2 });
    await until(async () => (await Promise.all(ids.map((id: string) => server.engine.store.deliveries.get(id)))).every((d) => d?.state === 'succeeded'));
    // One that is not dead any more is refused, and nothing else moves.
    expect((await api('POST', 'dead-letters/replay', { ids: [ids[0]] })).status).toBe(409);
    expect((await api('POST', 'dead-letters/replay', { route: 'alerts' })).body).toEqual({ retried: 3 });
    // The replayed ones are delivered (on PostgreSQL that takes a moment after the 4 dead letters are left).
    await until(async () => {
      const c = await server.engine.store.deliveries.countByState();
      return c.dead === 4 && c.pending + c.running + c.waiting === 0;
    });
    expect((await api('POST', 'dead-letters/replay', {})).status).toBe(400);
  });

  it('purges only with confirmation', async () => {
    expect((await api('POST', 'dead-letters/purge', { route: 'audit' })).status).toBe(400);
    expect((await api('POST', 'dead-letters/purge', { confirm: false })).status).toBe(400);
    const r = await api('POST', 'dead-letters/purge', { confirm: true, route: 'audit' });
    expect(r.status).toBe(200);
    expect(r.body.purgedEvents).toBeGreaterThan(0);
    expect((await server.engine.store.deliveries.countByState()).dead).toBe(0);
  });

  it('playground: template errors at line and column, limits, nothing delivered', async () => {
    const hits = rx.hits.length;
    const template = 'package playground.t\n\ntitle := "x"\nresult := sprintf("%v", [input.kind]\n';
    const bad = (await api('POST', 'playground', { event: { kind: 'alert' }, route: 'alerts', template })).body;
    expect(bad.problems.length).toBeGreaterThan(0);
    expect(bad.problems[0]).toMatchObject({ where: 'template' });
    expect(bad.problems[0].line).toBeGreaterThanOrEqual(4);
    expect(bad.problems[0].column).toBeGreaterThan(0);

    // An expression cut short: at the end of the input's last line, not on a line the editor does not have.
    const cut = (await api('POST', 'playground', { event: { kind: 'alert' }, route: 'alerts', input: 'input.kind == "alert"\ninput.n >' })).body;
    expect(cut.problems[0]).toMatchObject({ where: 'input', line: 2, column: 10 });
    const typo = (await api('POST', 'playground', { event: { kind: 'alert' }, route: 'alerts', input: 'input.kind == "alert"\n  nosuchfn(input.n)' })).body;
    expect(typo.problems[0]).toMatchObject({ where: 'input', line: 2, column: 3 });
    expect(typo.problems[0].message).toContain('nosuchfn');

    const good = (await api('POST', 'playground', { event: { kind: 'alert' }, route: 'alerts', template: 'package playground.t\n\ntitle := "Alert"\nresult := sprintf("kind=%v", [input.kind])\n' })).body;
    expect(good.problems).toEqual([]);
    const alerts = good.matched.find((m: { route: string }) => m.route === 'alerts');
    expect(alerts.actions[0]).toMatchObject({ action: 'out', message: { title: 'Alert', body: 'kind=alert' } });

    // The engine's evaluation limits apply: a route asking for too many elements fails for this event only.
    const before = process.env['HOOKER_EVAL_MAX_ELEMENTS'];
    process.env['HOOKER_EVAL_MAX_ELEMENTS'] = '1000';
    try {
      const big = (await api('POST', 'playground', { event: { kind: 'alert', n: 100000 }, route: 'alerts', input: 'count(numbers.range(1, input.n)) > 5' })).body;
      expect(big.notMatched.find((n: { route: string }) => n.route === 'alerts').reason).toMatch(/evaluation failed: .*limit exceeded \(elements\)/);
      expect(big.matched.map((m: { route: string }) => m.route)).toEqual(['audit']);
    } finally {
      if (before === undefined) delete process.env['HOOKER_EVAL_MAX_ELEMENTS']; else process.env['HOOKER_EVAL_MAX_ELEMENTS'] = before;
    }
    expect((await api('POST', 'playground', { route: 'alerts' })).status).toBe(400);
    expect((await api('POST', 'playground', { eventId: 'no-such-event' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 200));
    expect(rx.hits.length).toBe(hits);
  });

  it('lists scans with their threshold, findings and scan.completed events', async () => {
    const scans = server.engine.store.scans;
    const { record } = await scans.enqueue({ scanner: 'trivy', target: { image: 'alpine:3.10' }, threshold: 'no-critical' }, 'image:alpine:3.10');
    await scans.finish(record.id, 'failed', { report: { format: 'trivy', findings: [{ id: 'CVE-1' } as never, { id: 'CVE-2' } as never] }, raw: {}, threshold: { name: 'no-critical', passed: false, compliance: 50, broken: [], counts: {} as never } });
    const eventId = await ingest({ kind: 'info', type: 'scan.completed', scan: { id: record.id } });
    const page = (await api('GET', 'scans')).body;
    expect(page.items[0]).toMatchObject({ id: record.id, state: 'failed', scanner: 'trivy', outcome: { findings: 2, threshold: { name: 'no-critical', passed: false, compliance: 50 } } });
    expect(page.items[0].events).toEqual([eventId]);
  });

  it('shows the config with secrets masked, its hash and the last reload', async () => {
    const c = (await api('GET', 'config')).body;
    expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(c.config)).not.toContain('sup3rsecret');
    expect(c.lastReload).toBeNull();
    expect((await api('POST', 'reload')).body).toMatchObject({ ok: true, routes: 2 });
    expect((await api('GET', 'config')).body.lastReload).toMatchObject({ ok: true });
  });

  it('answers 400 to a bad cursor or filter and 404 to an unknown event', async () => {
    expect((await api('GET', 'events?cursor=nonsense')).status).toBe(400);
    expect((await api('GET', 'events?state=exploded')).status).toBe(400);
    expect((await api('GET', 'events?since=yesterday-ish')).status).toBe(400);
    expect((await api('GET', 'events/no-such')).status).toBe(404);
    const list = (await api('GET', 'events?route=alerts')).body;
    expect(list.items.every((e: { deliveries: Array<{ route: string }> }) => e.deliveries.some((d) => d.route === 'alerts'))).toBe(true);
  });

  it('does not exist without HOOKER_ADMIN_TOKEN', async () => {
    const off = await serve(tempDir(), CFG(rx.url), { HOOKER_ADMIN_TOKEN: '' });
    try {
      expect((await fetch(`${off.httpUrl}/ui/`)).status).toBe(404);
      expect((await fetch(`${off.httpUrl}/api/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"x"}' })).status).toBe(404);
      expect((await fetch(`${off.httpUrl}/api/ui/events`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

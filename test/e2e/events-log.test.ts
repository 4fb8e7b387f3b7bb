// GET /events on a running server (real sockets, a real SQLite file): the
// recent events with the first attempt of each of their deliveries. The
// server fills them in from the scheduler's records (POST / tracks nothing
// per event), so this checks what a user reads there: each delivery's first
// attempt once it ran, a failed one as failed (not its later retries), and
// only the most recent events.
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

let server: RunningServer | undefined;
let rx: Receiver | undefined;
afterAll(async () => { await server?.close(); await rx?.close(); });

interface Logged { eventId: string; matched: string[]; deliveries: Array<{ routeName: string; actionName: string; ok: boolean; state: string; attempt: number; detail?: string }> }

async function post(body: unknown): Promise<string> {
  const res = await request(`${server!.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.body.json()) as { eventId: string };
  expect(res.statusCode).toBe(202);
  return answer.eventId;
}

async function events(limit = 200): Promise<Logged[]> {
  const res = await request(`${server!.httpUrl}/events?limit=${limit}`, { headers: { authorization: 'Bearer adm' } });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { events: Logged[] }).events;
}

describe('GET /events', () => {
  it('shows each event with the first attempts of its deliveries, the last 200 events only', { timeout: 60_000 }, async () => {
    // /fail answers 503 to its first two attempts, then 200.
    const tries = new Map<string, number>();
    rx = await receiver((hit) => {
      if (!hit.url.startsWith('/fail')) return 200;
      const id = String(hit.headers['hooker-delivery-id']);
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      return n <= 2 ? 503 : 200;
    });
    server = await serve(tempDir(), `
routes:
  - name: ok
    input: input.kind == "alert"
    actions: [good]
    template: raw-json
  - name: flaky
    input: input.kind == "alert"
    actions: [bad]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: good
    type: http
    enable: true
    url: ${rx.url}/ok
  - name: bad
    type: http
    enable: true
    retries: 3
    retry-backoff: 10ms
    url: ${rx.url}/fail
`);
    const first = await post({ kind: 'alert', n: 0 });
    // Every attempt has run: two failures, then the success.
    await until(() => rx!.hits.filter((h) => h.url === '/fail').length === 3 && rx!.hits.some((h) => h.url === '/ok'));
    const logged = await until(async () => {
      const e = (await events()).find((x) => x.eventId === first);
      return e && e.deliveries.length === 2 ? e : undefined;
    });
    expect(logged.matched).toEqual(['ok', 'flaky']);
    const byRoute = Object.fromEntries(logged.deliveries.map((d) => [d.routeName, d]));
    expect(byRoute['ok']).toMatchObject({ actionName: 'good', ok: true, state: 'succeeded', attempt: 1 });
    // The first attempt, as it ended: failed, a retry scheduled; the later attempts are not added.
    expect(byRoute['flaky']).toMatchObject({ actionName: 'bad', ok: false, state: 'pending', attempt: 1 });
    expect(byRoute['flaky']!.detail).toMatch(/503/);

    // An event no route matches is listed with no deliveries.
    const unmatched = await post({ kind: 'other' });
    expect((await events()).find((x) => x.eventId === unmatched)).toMatchObject({ matched: [], deliveries: [] });

    // 200 more events: the first two are no longer listed, the newest is first and gets its deliveries.
    let last = '';
    for (let i = 1; i <= 200; i++) last = await post({ kind: 'alert', n: i });
    const recent = await until(async () => {
      const list = await events();
      return list[0]?.eventId === last && list[0].deliveries.length === 2 ? list : undefined;
    });
    expect(recent).toHaveLength(200);
    expect(recent.map((e) => e.eventId)).not.toContain(first);
    expect(recent.map((e) => e.eventId)).not.toContain(unmatched);
  });
});

// Three Hooker replicas (in-process servers, each with its own connection
// pool, listeners and timers: they share nothing but the database) on one
// real PostgreSQL server started for this file. What a user running
// replicas checks: the same event posted to two replicas is delivered once
// (unique-message-props), an aggregation window fed through all three is
// flushed once, a schedule fires once per tick, and while PostgreSQL is down
// ingest answers 503 (never a 202 for an event it could not store) and
// everything accepted before and after is delivered.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from '../e2e/server-harness.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';

let pg: PostgresServer;
let rx: Receiver;
const replicas: RunningServer[] = [];

const config = (url: string) => `
routes:
  - name: once
    input: input.kind == "dedup"
    actions: [to-once]
    template: raw-json
    plugins:
      unique-message-props: [image]
      unique-message-timeout: 1h
  - name: digest
    input: input.kind == "agg"
    actions: [to-digest]
    template: raw-json
    plugins:
      aggregate-message-number: 1000
      aggregate-message-timeout: 1500ms
  - name: ticks
    input: input.type == "scan.scheduled"
    actions: [to-ticks]
    template: raw-json
  - name: load
    input: input.kind == "load"
    actions: [to-load]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
${['once', 'digest', 'ticks', 'load'].map((n) => `  - name: to-${n}\n    type: http\n    enable: true\n    url: ${url}/${n}\n`).join('')}schedules:
  tick: {every: 2s, event: {source: schedule}}
`;

async function post(s: RunningServer, event: unknown): Promise<{ status: number; body: string; retryAfter?: string }> {
  const res = await request(`${s.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
  const body = await res.body.text();
  return { status: res.statusCode, body, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) };
}

const hitsTo = (path: string) => rx.hits.filter((h) => h.url === path);

beforeAll(async () => {
  pg = await startPostgres();
  rx = await receiver();
  const db = await pg.createDatabase('replicas');
  // Started together: the migrations run once under their advisory lock, the others wait.
  replicas.push(...await Promise.all([0, 1, 2].map(() => serve(tempDir(), config(rx.url), { HOOKER_DB: db, HOOKER_DELIVERY_LEASE: '5s' }))));
}, 110_000);

afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()));
  await rx?.close();
  pg?.destroy();
});

describe('replicas on one PostgreSQL', () => {
  it('the same event posted to two replicas is delivered once (unique-message-props)', async () => {
    const [a, b] = await Promise.all([post(replicas[0]!, { kind: 'dedup', image: 'alpine:3' }), post(replicas[1]!, { kind: 'dedup', image: 'alpine:3' })]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const skipped = [a, b].map((r) => (JSON.parse(r.body) as { skipped: Array<{ route: string }> }).skipped.map((s) => s.route));
    expect(skipped.flat()).toEqual(['once']);
    await until(() => hitsTo('/once').length >= 1);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(hitsTo('/once')).toHaveLength(1);
    // A third replica sees the key too.
    expect(JSON.parse((await post(replicas[2]!, { kind: 'dedup', image: 'alpine:3' })).body).skipped).toEqual([{ route: 'once', reason: expect.stringContaining('duplicate') }]);
  });

  it('an aggregation window fed through three replicas is flushed once', async () => {
    for (let i = 0; i < 9; i++) expect((await post(replicas[i % 3]!, { kind: 'agg', n: i })).status).toBe(202);
    await until(() => hitsTo('/digest').length >= 1, 10_000);
    // Each replica armed its own timer for the window; only one of them found it due.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(hitsTo('/digest')).toHaveLength(1);
    // The one flush carries all nine buffered events.
    expect((JSON.parse(hitsTo('/digest')[0]!.body) as { aggregated: string[] }).aggregated).toHaveLength(9);
  });

  it('a schedule fires once per tick across the replicas', async () => {
    await until(() => hitsTo('/ticks').length >= 3, 15_000);
    const ticks = hitsTo('/ticks').map((h) => (JSON.parse(h.body) as { scheduled_at: string }).scheduled_at);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('PostgreSQL stopped for 10 s under load: 503 with Retry-After, never a false 202, and everything accepted is delivered', async () => {
    const accepted = new Set<number>();
    const refused: Array<{ status: number; retryAfter?: string }> = [];
    let n = 0;
    let stop = false;
    const poster = async (s: RunningServer) => {
      while (!stop) {
        const i = n++;
        try {
          const r = await post(s, { kind: 'load', i });
          if (r.status === 202) accepted.add(i); else refused.push({ status: r.status, ...(r.retryAfter ? { retryAfter: r.retryAfter } : {}) });
        } catch { /* connection trouble: not accepted */ }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const load = Promise.all(replicas.flatMap((s) => [poster(s), poster(s)]));
    await until(() => accepted.size >= 30, 20_000);
    pg.stop();
    const stoppedAt = Date.now();
    await until(() => refused.length >= 10, 20_000);
    // Not ready while the database is away: a load balancer stops sending here.
    const ready = await request(`${replicas[0]!.httpUrl}/readyz`);
    expect(ready.statusCode).toBe(503);
    expect(await ready.body.text()).toContain('database unreachable');
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - stoppedAt))));
    pg.start();
    const beforeMore = accepted.size;
    await until(() => accepted.size >= beforeMore + 30, 30_000);
    stop = true;
    await load;

    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.status === 503 && r.retryAfter !== undefined)).toBe(true);
    const delivered = () => new Set(hitsTo('/load').map((h) => (JSON.parse(h.body) as { i: number }).i));
    await until(() => [...accepted].every((i) => delivered().has(i)), 60_000);
    // Only accepted events were delivered: a refused one was never stored.
    expect([...delivered()].every((i) => accepted.has(i))).toBe(true);
    console.log(`postgres outage: accepted ${accepted.size}, refused ${refused.length} (all 503 with Retry-After), delivered ${delivered().size}`);
    // Ready again once the database answers and the backlog is delivered. Readiness is sampled (the
    // database ping each second, the delivery lag each 500 ms), so on a loaded machine it follows
    // the last delivery by a sample or two: polled, with the last answer shown if it never comes.
    let last = '';
    const readyAgain = await until(async () => {
      const r = await request(`${replicas[0]!.httpUrl}/readyz`);
      last = `${r.statusCode} ${await r.body.text()}`;
      return r.statusCode === 200;
    }, 20_000).catch(() => false);
    expect(readyAgain, `readyz after the outage: ${last}`).toBe(true);
  }, 120_000);
});

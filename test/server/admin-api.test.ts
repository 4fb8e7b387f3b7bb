// The inbox limit and the deliveries admin API over a real engine
// (':memory:' SQLite) and actions that fail or hang on demand.
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from 'undici';
import type { FastifyInstance } from 'fastify';
import type { Action } from '../../src/actions/types.js';
import { buildApp } from '../../src/server/app.js';
import { createDeliveryEngine, type DeliveryEngine } from '../../src/server/delivery-engine.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { Runtime } from '../../src/server/runtime.js';
import type { RuntimeHolder } from '../../src/server/runtime-holder.js';
import { actionConfig, route } from '../routing/engine-fixture.js';

let mode: 'ok' | 'fail' | 'hang' = 'ok';
const hanging: Array<() => void> = [];
const act: Action = {
  name: 'x', type: 'test',
  deliver: () => {
    if (mode === 'fail') return Promise.resolve({ ok: false, detail: 'receiver answered 500' });
    if (mode === 'hang') return new Promise((resolve) => hanging.push(() => resolve({ ok: true })));
    return Promise.resolve({ ok: true });
  },
};
const runtime = {
  config: { file: 'cfg.yaml', routes: [], templates: [], actions: [actionConfig('x', { retries: 1, retryBackoffMs: 10, retryMaxBackoffMs: 10 })], rules: [] },
  routes: new Map([['r', route('r', ['x'])]]),
  matcher: { match: () => ['r'] },
  templates: new Map([['tpl', { name: 'tpl', package: 'p', render: () => ({ title: 't', body: 'b' }) }]]),
  actions: new Map([['x', act]]),
  loadedAt: Date.now(),
} as unknown as Runtime;

let app: FastifyInstance;
let engine: DeliveryEngine;
async function make(maxInbox?: number, more: { ingestToken?: string } = {}) {
  engine = await createDeliveryEngine({ dbPath: ':memory:', table: () => runtime });
  app = buildApp({
    settings: { hmacHeader: 'x-hooker-signature', maxBody: 10_000, maxHops: 3, debug: false, adminToken: 'adm', ...(maxInbox ? { maxInbox } : {}), ...more },
    holder: { current: runtime } as unknown as RuntimeHolder, queue: engine.scheduler, router: engine.router, store: engine.store.deliveries,
    poke: () => engine.scheduler.poke(), metrics: new ServerMetrics(),
  });
}
afterEach(async () => {
  for (const h of hanging.splice(0)) h();
  await app.close();
  await engine.close(0);
  mode = 'ok';
});

const admin = { authorization: 'Bearer adm' };
const post = (payload: unknown) => app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: payload as object });
const waitFor = async (fn: () => boolean | Promise<boolean>) => { for (let i = 0; i < 500 && !(await fn()); i++) await new Promise((r) => setTimeout(r, 10)); };

describe('inbox limit', () => {
  it('answers 503 with Retry-After when HOOKER_MAX_INBOX events are undelivered, and accepts again once they are', async () => {
    await make(2);
    mode = 'hang';
    expect((await post({ n: 1 })).statusCode).toBe(202);
    expect((await post({ n: 2 })).statusCode).toBe(202);
    const full = await post({ n: 3 });
    expect(full.statusCode).toBe(503);
    expect(full.headers['retry-after']).toBe('5');
    expect(full.json().message).toContain('HOOKER_MAX_INBOX');
    for (const h of hanging.splice(0)) h();
    await waitFor(async () => await engine.store.deliveries.openEvents() === 0);
    expect((await post({ n: 4 })).statusCode).toBe(202);
  });

  it('over a real connection: the full inbox answers 503 before the body is read, after the token, content type and hops checks, and the connection stays usable', async () => {
    await make(1, { ingestToken: 'tok' });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    let connections = 0;
    app.server.on('connection', () => { connections++; });
    const client = new Client(url, { pipelining: 1 });
    try {
      const send = async (headers: Record<string, string>, body: string, path = '/') => {
        const res = await client.request({ method: 'POST', path, headers: { 'content-type': 'application/json', authorization: 'Bearer tok', ...headers }, body });
        return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
      };
      mode = 'hang';
      expect((await send({}, '{"n":1}')).status).toBe(202);
      // Refusals that come before the inbox's keep their answers.
      expect((await send({ authorization: 'Bearer wrong' }, '{"n":2}')).status).toBe(401);
      expect((await send({ 'content-type': 'text/html' }, '<p>')).status).toBe(415);
      expect((await send({ 'hooker-hops': 'x' }, '{"n":2}')).status).toBe(400);
      expect((await send({ 'hooker-hops': '3' }, '{"n":2}')).status).toBe(508);
      // A body that would not parse, and a large one: neither is read.
      for (const [body, path] of [['{"n": ', '/'], [JSON.stringify({ pad: 'x'.repeat(9_000) }), '/scan?via=test']] as const) {
        const full = await send({}, body, path);
        expect(full.status).toBe(503);
        expect(full.headers['retry-after']).toBe('5');
        expect(full.headers['content-type']).toMatch(/^application\/json/);
        expect(JSON.parse(full.text)).toEqual({ error: 'Service Unavailable', message: expect.stringContaining('HOOKER_MAX_INBOX') });
      }
      const metrics = await (await client.request({ method: 'GET', path: '/metrics' })).body.text();
      expect(metrics).toMatch(/hooker_events_rejected_total\{reason="inbox_full"\} 2/);
      expect(metrics).toMatch(/hooker_inbox_full_total 2/);
      for (const h of hanging.splice(0)) h();
      await waitFor(async () => await engine.store.deliveries.openEvents() === 0);
      expect((await send({}, '{"n":3}')).status).toBe(202);
      expect(connections).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('deliveries admin API', () => {
  it('requires the admin token', async () => {
    await make();
    expect((await app.inject({ method: 'GET', url: '/deliveries' })).statusCode).toBe(401);
  });

  it('lists dead letters by state and route, shows attempts, replays one, purges finished events', async () => {
    await make();
    mode = 'fail';
    const eventId = (await post({ a: 1 })).json().eventId as string;
    await waitFor(async () => (await engine.store.deliveries.list({ state: 'dead' })).length === 1);
    const list = await app.inject({ method: 'GET', url: '/deliveries?state=dead&route=r', headers: admin });
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body.counts.dead).toBe(1);
    expect(body.deliveries).toHaveLength(1);
    expect(body.deliveries[0]).toMatchObject({ eventId, route: 'r', action: 'x', state: 'dead', attempts: 2, lastError: 'receiver answered 500' });
    expect((await app.inject({ method: 'GET', url: '/deliveries?state=bogus', headers: admin })).statusCode).toBe(400);

    const id = body.deliveries[0].id as string;
    const shown = (await app.inject({ method: 'GET', url: `/deliveries/${id}`, headers: admin })).json();
    expect(shown.attemptLog).toHaveLength(2);
    expect(shown.attemptLog[0].detail).toContain('will retry');
    expect(shown.message).toEqual({ title: 't', body: 'b' });

    mode = 'ok';
    expect((await app.inject({ method: 'POST', url: `/deliveries/${id}/retry`, headers: admin })).json()).toEqual({ retried: 1 });
    await waitFor(async () => (await engine.store.deliveries.get(id))?.state === 'succeeded');
    expect((await engine.store.deliveries.get(id))!.state).toBe('succeeded');
    expect((await app.inject({ method: 'POST', url: `/deliveries/${id}/retry`, headers: admin })).statusCode).toBe(409);

    const purged = await app.inject({ method: 'POST', url: '/deliveries/purge?older-than=0s', headers: admin });
    expect(purged.json()).toEqual({ purgedEvents: 1 });
    expect((await app.inject({ method: 'GET', url: `/deliveries/${id}`, headers: admin })).statusCode).toBe(404);
  });

  it('retries all dead letters of a route at once', async () => {
    await make();
    mode = 'fail';
    await post({ a: 1 });
    await post({ a: 2 });
    await waitFor(async () => (await engine.store.deliveries.list({ state: 'dead' })).length === 2);
    mode = 'ok';
    expect((await app.inject({ method: 'POST', url: '/deliveries/retry-dead?route=r', headers: admin })).json()).toEqual({ retried: 2 });
    await waitFor(async () => (await engine.store.deliveries.list({ state: 'succeeded' })).length === 2);
    expect(await engine.store.deliveries.countByState()).toMatchObject({ succeeded: 2, dead: 0 });
  });
});

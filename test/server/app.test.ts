import { emptyScanConfig } from '../../src/scan/config.js';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Action } from '../../src/actions/types.js';
import type { RouteConfig } from '../../src/config/types.js';
import { buildApp, drainLimit, PING_TEXT } from '../../src/server/app.js';
import { signBody } from '../../src/server/auth.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { Runtime } from '../../src/server/runtime.js';
import type { ReloadOutcome, RuntimeHolder } from '../../src/server/runtime-holder.js';
import { createDeliveryEngine, type DeliveryEngine } from '../../src/server/delivery-engine.js';
import { postBytes } from '../support/post-bytes.js';

// The app over a runtime whose matcher and template are plain functions, so
// the HTTP behaviour is tested without compiling Rego.
const delivered: Array<{ route: string; body: string; hops: number }> = [];
const action: Action = {
  name: 'rec', type: 'test',
  async deliver(ctx) { delivered.push({ route: ctx.routeName, body: ctx.message.body, hops: ctx.hops }); return { ok: true }; },
};
const route = (name: string): RouteConfig => ({ name, actions: ['rec'], inputFiles: [], template: 't', serializeActions: false, plugins: {}, path: 'routes[0]' });
const runtime: Runtime = {
  config: { file: 'cfg.yaml', routes: [], templates: [], actions: [], rules: [], deleteOldDataDays: 7, scan: emptyScanConfig() },
  routes: new Map([['alerts', route('alerts')], ['all', route('all')]]),
  matcher: { match: (e) => ((e as { severity?: string }).severity === 'high' ? ['alerts', 'all'] : ['all']) },
  templates: new Map([['t', { name: 't', package: 'p', render: (i: unknown) => ({ title: '', body: JSON.stringify(i) }) }]]),
  actions: new Map([['rec', action]]),
  loadedAt: Date.now(),
};

let nextReload: ReloadOutcome = { ok: true, problems: [] };
const holder = { current: runtime, reload: async () => nextReload } as unknown as RuntimeHolder;

let app: FastifyInstance;
let metrics: ServerMetrics;
let engine: DeliveryEngine | undefined;
async function make(settings: Partial<Parameters<typeof buildApp>[0]['settings']> = {}) {
  metrics = new ServerMetrics();
  const e = await createDeliveryEngine({ dbPath: ':memory:', table: () => runtime, metrics });
  engine = e;
  app = buildApp({
    settings: { hmacHeader: 'x-hooker-signature', maxBody: 1024, maxHops: 3, debug: false, ...settings },
    holder, queue: e.scheduler, router: e.router, store: e.store.deliveries, poke: () => e.scheduler.poke(), metrics,
  });
  return app;
}
afterEach(async () => { delivered.length = 0; await app?.close(); await engine?.close(0); engine = undefined; });

const json = { 'content-type': 'application/json' };

describe('ingest endpoints', () => {
  it('POST / answers 202 with an event id and delivers to matched routes', async () => {
    await make();
    const res = await app.inject({ method: 'POST', url: '/', headers: json, payload: { severity: 'high' } });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.matched).toEqual(['alerts', 'all']);
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered.map((d) => d.route).sort()).toEqual(['alerts', 'all']);
    expect(JSON.parse(delivered[0]!.body).hooker.event_id).toBe(body.eventId);
  });

  it('POST /scan is the same endpoint (Postee)', async () => {
    await make();
    expect((await app.inject({ method: 'POST', url: '/scan', headers: json, payload: { a: 1 } })).statusCode).toBe(202);
  });

  it('malformed JSON -> 400 naming the position', async () => {
    await make();
    const res = await app.inject({ method: 'POST', url: '/', headers: json, payload: '{"a": 1,\n "b": }' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/malformed JSON at position 15 \(line 2, column 7\)/);
  });

  it('oversized body -> 413, wrong content type -> 415, both as JSON', async () => {
    await make();
    const big = await app.inject({ method: 'POST', url: '/', headers: json, payload: JSON.stringify({ x: 'y'.repeat(2000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().message).toContain('HOOKER_MAX_BODY');
    const text = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.statusCode).toBe(415);
    expect(text.json().message).toContain('application/json');
    const metricsText = await metrics.registry.metrics();
    expect(metricsText).toContain('hooker_events_rejected_total{reason="too_large"} 1');
    expect(metricsText).toContain('hooker_events_rejected_total{reason="content_type"} 1');
  });

  it('requires the bearer token and the HMAC signature when configured', async () => {
    await make({ ingestToken: 'tok', hmacSecret: 'sec' });
    const payload = JSON.stringify({ a: 1 });
    const noAuth = await app.inject({ method: 'POST', url: '/', headers: json, payload });
    expect(noAuth.statusCode).toBe(401);
    const badSig = await app.inject({ method: 'POST', url: '/', headers: { ...json, authorization: 'Bearer tok', 'x-hooker-signature': signBody(payload, 'other') }, payload });
    expect(badSig.statusCode).toBe(401);
    expect(badSig.json().message).toContain('HMAC');
    const ok = await app.inject({ method: 'POST', url: '/', headers: { ...json, authorization: 'Bearer tok', 'x-hooker-signature': signBody(payload, 'sec') }, payload });
    expect(ok.statusCode).toBe(202);
  });

  it('stops loops at HOOKER_MAX_HOPS with 508 and a metric, and passes the hop count on', async () => {
    await make();
    const cut = await app.inject({ method: 'POST', url: '/', headers: { ...json, 'hooker-hops': '3' }, payload: { a: 1 } });
    expect(cut.statusCode).toBe(508);
    expect(cut.json().message).toContain('HOOKER_MAX_HOPS');
    expect(await metrics.registry.metrics()).toContain('hooker_hops_exceeded_total 1');
    await app.inject({ method: 'POST', url: '/', headers: { ...json, 'hooker-hops': '2' }, payload: { a: 1 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(delivered[0]!.hops).toBe(2);
  });
});

describe('a body declared over HOOKER_MAX_BODY on a real socket', () => {
  const MAX = 64 * 1024;
  it('the sender of a 20 MiB body reads its 413 (no reset), and the kept connection serves the next event', async () => {
    await make({ maxBody: MAX });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const body = Buffer.alloc(20 * 1024 * 1024, 0x20);
    // Before: Fastify closed at once and the unread body made the kernel reset the connection (ECONNRESET, EPIPE).
    for (let i = 0; i < 5; i++) {
      const r = await postBytes(url, body);
      expect(r).toMatchObject({ status: 413 });
      expect(JSON.parse((r as { text: string }).text).message).toContain('HOOKER_MAX_BODY');
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const refused = await postBytes(url, body, { agent });
    expect(refused).toMatchObject({ status: 413 });
    expect((refused as { connection?: string }).connection).not.toBe('close');
    const next = await postBytes(url, Buffer.from('{"severity":"high"}'), { agent });
    expect(next).toMatchObject({ status: 202 });
    agent.destroy();
  });

  it('a declared length over the drain limit is not read: the connection closes after the 413', async () => {
    await make({ maxBody: MAX });
    const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
    const declared = drainLimit(MAX) + 1;
    const sock = connect(Number(url.port), '127.0.0.1');
    let answer = '';
    sock.setEncoding('utf8');
    sock.on('data', (c) => { answer += c; });
    sock.on('error', () => { /* a reset is the answer too: the socket closes */ });
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`);
    sock.write(Buffer.alloc(1024, 0x20));
    // The server closes without waiting for the rest of the declared body (the test's timeout would end a drain).
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('connection: close');
  });
});

describe('tenant endpoint', () => {
  it('evaluates only the named route and answers with what happened', async () => {
    await make();
    const res = await app.inject({ method: 'POST', url: '/tenant/alerts', headers: json, payload: { severity: 'high' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ route: 'alerts', matched: true, deliveries: [{ route: 'alerts', action: 'rec', ok: true }] });
    const miss = await app.inject({ method: 'POST', url: '/tenant/alerts', headers: json, payload: { severity: 'low' } });
    expect(miss.json()).toMatchObject({ matched: false, deliveries: [] });
  });

  it('unknown route -> 404 JSON', async () => {
    await make();
    const res = await app.inject({ method: 'POST', url: '/tenant/nope', headers: json, payload: {} });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toBe('unknown route "nope"');
  });
});

describe('health, metrics and admin endpoints', () => {
  it('ping, healthz, readyz, metrics', async () => {
    await make();
    const ping = await app.inject({ method: 'GET', url: '/ping' });
    expect(ping.body).toBe(PING_TEXT);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toMatchObject({ status: 'ready', routes: 2 });
    await app.inject({ method: 'POST', url: '/', headers: json, payload: { severity: 'high' } });
    const m = await app.inject({ method: 'GET', url: '/metrics' });
    expect(m.body).toContain('hooker_events_received_total 1');
    expect(m.body).toContain('hooker_events_matched_total 1');
    expect(m.body).toContain('hooker_route_evaluation_seconds_count 1');
  });

  it('the inbox gauge is the size of the delivery queue when /metrics is read, whatever was set last', async () => {
    await make();
    await app.inject({ method: 'POST', url: '/', headers: json, payload: { severity: 'high' } });
    await new Promise((r) => setTimeout(r, 50));
    metrics.pending.set(99);
    expect(engine!.scheduler.pending()).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^hooker_deliveries_pending 0$/m);
  });

  it('/events and /reload are off without HOOKER_ADMIN_TOKEN and need it when set', async () => {
    await make();
    expect((await app.inject({ method: 'GET', url: '/events' })).statusCode).toBe(404);
    await app.close();
    await make({ adminToken: 'adm' });
    expect((await app.inject({ method: 'GET', url: '/events', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    await app.inject({ method: 'POST', url: '/', headers: json, payload: { severity: 'high' } });
    await new Promise((r) => setTimeout(r, 20));
    const ev = await app.inject({ method: 'GET', url: '/events', headers: { authorization: 'Bearer adm' } });
    expect(ev.json().events[0]).toMatchObject({ matched: ['alerts', 'all'] });
    expect(ev.json().events[0].deliveries).toHaveLength(2);
  });

  it('a rejected reload answers 422 with the problems', async () => {
    await make({ adminToken: 'adm' });
    nextReload = { ok: false, problems: [{ severity: 'error', file: 'cfg.yaml', line: 4, path: 'routes[0].template', message: 'bad' }] };
    const res = await app.inject({ method: 'POST', url: '/reload', headers: { authorization: 'Bearer adm' } });
    nextReload = { ok: true, problems: [] };
    expect(res.statusCode).toBe(422);
    expect(res.json().problems).toEqual(['cfg.yaml:4: error: routes[0].template: bad']);
    const good = await app.inject({ method: 'POST', url: '/reload', headers: { authorization: 'Bearer adm' } });
    expect(good.json()).toMatchObject({ status: 'reloaded' });
  });

  it('unknown endpoints answer JSON 404', async () => {
    await make();
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toContain('/nope');
  });
});

// An ingest body that is canonical JSON (its text is exactly stringifyJson of
// its value) is not parsed when nothing reads the event: the route
// evaluation reads its bytes, the store and an action sending the stored
// text read the text (json-body.ts parseBodyKeepingText's `defer`). So the
// shape pass must say whether JSON.parse would accept such a text, exactly:
// a body it wrongly took as valid would be accepted (202) with no parse, a
// syntax error and all. Checked here against JSON.parse over valid texts and
// over texts mutated from them, and end to end through the app.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { parseJson } from '../../src/json/lossless.js';
import { checkJsonShape, type JsonFacts } from '../../src/server/json-shape.js';
import { bodyText, parseBodyKeepingText, parseCanonical } from '../../src/server/json-body.js';
import type { Action } from '../../src/actions/types.js';
import type { RouteConfig } from '../../src/config/types.js';
import { emptyScanConfig } from '../../src/scan/config.js';
import { buildApp } from '../../src/server/app.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import type { Runtime } from '../../src/server/runtime.js';
import type { RuntimeHolder } from '../../src/server/runtime-holder.js';
import { createDeliveryEngine, type DeliveryEngine } from '../../src/server/delivery-engine.js';
import type { TemplateRenderer } from '../../src/templates/template-renderer.js';

const LIMITS = { maxDepth: 64, maxKeys: 10_000 };

function factsOf(text: string): JsonFacts {
  const facts: JsonFacts = { keys: 0, depth: 0, inexact: false, canonical: false, topKeys: 0, valid: false, hookerKey: false };
  checkJsonShape(text, LIMITS, facts);
  return facts;
}

function parses(text: string): boolean {
  try { JSON.parse(text); return true; } catch { return false; }
}

const leaf = fc.oneof(
  fc.string({ maxLength: 8 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
  fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }), fc.constantFrom('"', '\\', '\n\t\b\f\r', 'tru', 'e5', '-', '1e400', '{[,:]}'),
);
const tree = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5 }), tie('v'), { maxKeys: 5 })),
})).v;
/** A value's canonical text; bigints (and kept numbers) written as their digits, as a tool's encoder would. */
const textOf = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000big${x}` : x)).replace(/"\\u0000big(-?\d+)"/g, '$1');
/** Characters JSON's grammar turns on, to splice into a text. */
const piece = fc.oneof(
  fc.constantFrom('{', '}', '[', ']', ':', ',', '"', '\\', '-', '+', '.', '0', '1', '9', 'e', 'E', 't', 'f', 'n', 'true', 'false', 'null', 'tru', 'nul',
    '01', '-0', '1.', '.5', '1e', '1e+', '\u0000', '\u001f', '\u007f', ' ', '\n', 'x', '\ufeff', '\\u0041', '\\x', '"a":1', ',"b":2', '[]', '{}', 'é'),
  fc.string({ maxLength: 3 }),
);
/** One edit of a text: delete, insert, replace or repeat a span; or cut it short. */
const mutation = fc.tuple(fc.constantFrom('delete', 'insert', 'replace', 'repeat', 'cut'), fc.nat(), fc.nat({ max: 4 }), piece);
function mutate(text: string, [op, at, len, with_]: [string, number, number, string]): string {
  const i = text.length ? at % (text.length + 1) : 0;
  switch (op) {
    case 'delete': return text.slice(0, i) + text.slice(i + Math.max(1, len));
    case 'insert': return text.slice(0, i) + with_ + text.slice(i);
    case 'replace': return text.slice(0, i) + with_ + text.slice(i + Math.max(1, len));
    case 'repeat': return text.slice(0, i) + text.slice(i, i + len + 1) + text.slice(i);
    default: return text.slice(0, i);
  }
}

describe('the shape pass decides whether JSON.parse accepts a canonical text', () => {
  it('valid texts: canonical ones are found valid; texts with one to three edits: a canonical one is valid exactly when JSON.parse accepts it', () => {
    let validCanonical = 0;
    let invalidCanonical = 0;
    fc.assert(fc.property(tree, fc.array(mutation, { minLength: 0, maxLength: 3 }), (v, edits) => {
      const original = textOf(v);
      const text = edits.reduce(mutate, original);
      const facts = factsOf(text);
      const ok = parses(text);
      // Whatever the text: never found valid when JSON.parse refuses it.
      if (facts.valid) expect(ok, text).toBe(true);
      if (facts.canonical) {
        expect(facts.valid, text).toBe(ok);
        if (ok) validCanonical++; else invalidCanonical++;
      }
      if (edits.length === 0 && facts.canonical) expect(facts.valid).toBe(true);
    }), { seed: 20261127, numRuns: 20_000 });
    // Neither side may hold only because the pass never says one thing or the other.
    expect(validCanonical).toBeGreaterThan(2_000);
    expect(invalidCanonical).toBeGreaterThan(2_000);
  });

  it('hand-picked texts', () => {
    for (const text of ['{}', '[]', '0', '-1', '1.5', '1e+21', '"x"', 'true', 'false', 'null', '{"a":[1,{"b":null}],"c":"d"}', '[[],[[]],{}]', '{"a":1e400}',
      '{"a":12345678901234567890}', '[-0.5,0,1]']) {
      expect(factsOf(text).valid, text).toBe(true);
    }
    for (const text of ['', '{', '}', '{"a":1', '{"a":1}}', '[1,]', '[,1]', '{"a":1,}', '{,}', '{"a"}', '{"a":}', '{:1}', '{"a"::1}', '{"a":1 "b":2}',
      '[1 2]', '[1][2]', '{}{}', '"a""b"', 'tru', 'truex', 'nul', 'True', '-', '01', '-01', '1.', '.5', '1e', '1e+', '+1', '0x1', '[01234567890123456789]',
      '[1e]', '{"a":[}', '{"a":]}', '[}', '{]', '"a\u0001"', '"a\u001f"', '\u0001', 'x', '{"a":1}x', '[true,false,nul]', '{"a":"b"c}', '["\\x"]']) {
      const facts = factsOf(text);
      expect(parses(text), text).toBe(false);
      expect(facts.valid, text).toBe(false);
    }
  });

  it('a deferred body parses, when read, to the value the eager path gives; any other body is parsed at once', () => {
    fc.assert(fc.property(tree, fc.array(mutation, { maxLength: 2 }), fc.boolean(), (v, edits, bom) => {
      const raw = Buffer.from(`${bom ? '\ufeff' : ''}${edits.reduce(mutate, textOf(v))}`, 'utf8');
      let eager: unknown;
      try { eager = parseJson(bodyText(raw)); } catch {
        // Refused by the eager path: refused at once with the defer too (a 400 before any 202).
        expect(() => parseBodyKeepingText(raw, LIMITS, true)).toThrow();
        return;
      }
      const got = parseBodyKeepingText(raw, LIMITS, true);
      if (got.deferred) {
        expect(got.value).toBeUndefined();
        expect(parseCanonical(got.canonical!)).toEqual(eager);
      } else expect(got.value).toEqual(eager);
    }), { seed: 20261127, numRuns: 5_000 });
  });
});

// The app with a matcher that reads the event's bytes only (as the wasm matcher does), a native template's deferred message and
// an action that sends the stored text (as the http action does): nothing reads the event, so its body is never parsed.
const sent: Array<{ route: string; text: string | undefined; body?: string }> = [];
const sendsText: Action = { name: 'send', type: 'test', async deliver(ctx) { sent.push({ route: ctx.routeName, text: ctx.eventText }); return { ok: true }; } };
let openGate = (): void => {};
let gate: Promise<void> = Promise.resolve();
/** Reads the message (a template of the event parses it) once the gate opens. */
const gated: Action = { name: 'gated', type: 'test', async deliver(ctx) { await gate; sent.push({ route: ctx.routeName, text: ctx.eventText, body: ctx.message.body }); return { ok: true }; } };
const readsMessage: Action = { name: 'read', type: 'test', async deliver(ctx) { sent.push({ route: ctx.routeName, text: ctx.eventText, body: ctx.message.body }); return { ok: true }; } };
const rawJson: TemplateRenderer = { name: 'raw', package: 'hooker.rawmessage.json', render: () => ({ title: '', body: '' }), renderEvent: (e) => ({ title: 'raw', body: JSON.stringify(e) }) };
const byField: TemplateRenderer = { name: 'field', package: 'p', render: (i) => ({ title: '', body: String((i as { kind?: string }).kind) }) };
const route = (name: string, action: string, template: string): RouteConfig => ({ name, actions: [action], inputFiles: [], template, serializeActions: false, plugins: {}, path: 'routes[0]' });
const utf8 = new TextDecoder();
function runtime(routes: RouteConfig[]): Runtime {
  return {
    config: { file: 'cfg.yaml', routes: [], templates: [], actions: [], rules: [], deleteOldDataDays: 7, scan: emptyScanConfig() },
    routes: new Map(routes.map((r) => [r.name, r])),
    // Matches on the bytes: every route, unless the text says "quiet".
    matcher: { readsBytesOnly: true, match: (_e, json) => (utf8.decode(json as Uint8Array).includes('quiet') ? [] : routes.map((r) => r.name)) },
    templates: new Map([['raw', rawJson], ['field', byField]]),
    actions: new Map([['send', sendsText], ['read', readsMessage], ['gated', gated]]),
    loadedAt: Date.now(),
  };
}

let app: FastifyInstance | undefined;
let engine: DeliveryEngine | undefined;
async function make(routes: RouteConfig[]): Promise<FastifyInstance> {
  const rt = runtime(routes);
  const e = await createDeliveryEngine({ dbPath: ':memory:', table: () => rt });
  engine = e;
  app = buildApp({
    settings: { hmacHeader: 'x-hooker-signature', maxBody: 100_000, maxHops: 3, debug: false },
    holder: { current: rt, reload: async () => ({ ok: true, problems: [] }) } as unknown as RuntimeHolder,
    queue: e.scheduler, router: e.router, store: e.store.deliveries, poke: () => e.scheduler.poke(), metrics: new ServerMetrics(),
  });
  return app;
}
afterEach(async () => { openGate(); vi.restoreAllMocks(); await app?.close(); await engine?.close(0); app = undefined; engine = undefined; sent.length = 0; });

const json = { 'content-type': 'application/json' };
const EVENT = '{"kind":"exec","pid":4242,"args":["-c","id"],"ts":1732700000123456,"nested":{"ok":true,"none":null}}';

/** JSON.parse calls over exactly `text` while `fn` runs, and until its deliveries are sent. */
async function parsesOf(text: string, fn: () => Promise<void>): Promise<number> {
  const real = JSON.parse;
  let n = 0;
  vi.spyOn(JSON, 'parse').mockImplementation(((s: string, r?: never) => { if (s === text) n++; return real(s, r); }) as typeof JSON.parse);
  await fn();
  return n;
}

async function until(fn: () => boolean): Promise<void> {
  for (const end = Date.now() + 5_000; !fn(); await new Promise((r) => setTimeout(r, 5))) if (Date.now() > end) throw new Error('timed out');
}

describe('an ingest body nothing reads is not parsed', () => {
  it('routed by its bytes, stored and sent as its text: 202, the same text delivered, no parse of it', async () => {
    const a = await make([route('one', 'send', 'raw'), route('two', 'send', 'raw')]);
    const n = await parsesOf(EVENT, async () => {
      const res = await a.inject({ method: 'POST', url: '/', headers: json, payload: EVENT });
      expect(res.statusCode).toBe(202);
      expect(res.json().matched).toEqual(['one', 'two']);
      await until(() => sent.length === 2);
    });
    expect(sent.map((s) => s.text)).toEqual([EVENT, EVENT]);
    expect(n).toBe(0);
  });

  it('parsed once when a template reads it, whatever number of routes; the message is the same as from the parsed event', async () => {
    const a = await make([route('one', 'read', 'field'), route('two', 'read', 'raw'), route('three', 'read', 'raw')]);
    const n = await parsesOf(EVENT, async () => {
      expect((await a.inject({ method: 'POST', url: '/', headers: json, payload: EVENT })).statusCode).toBe(202);
      await until(() => sent.length === 3);
    });
    expect(n).toBe(1);
    const byRoute = Object.fromEntries(sent.map((s) => [s.route, s.body]));
    expect(byRoute).toEqual({ one: 'exec', two: JSON.stringify(JSON.parse(EVENT)), three: JSON.stringify(JSON.parse(EVENT)) });
  });

  it('a delivery waiting its turn keeps the body\'s text for a later parse, not the request\'s bytes', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gate = new Promise((r) => { openGate = r; });
    // One delivery at a time (the default policy's concurrency is more): the others wait in the lane, held in memory.
    const a = await make([route('one', 'gated', 'raw'), route('two', 'gated', 'raw')]);
    const bytes: Array<WeakRef<Uint8Array>> = [];
    a.addHook('preHandler', (req, _reply, done) => { if (req.canonicalBody) bytes.push(new WeakRef(req.canonicalBody.bytes)); done(); });
    const events = Array.from({ length: 20 }, (_, n) => EVENT.replace('4242', String(n)));
    for (const e of events) expect((await a.inject({ method: 'POST', url: '/', headers: json, payload: e })).statusCode).toBe(202);
    expect(bytes).toHaveLength(20);
    for (let i = 0; i < 3; i++) { await new Promise((r) => setImmediate(r)); gc(); }
    expect(sent).toHaveLength(0);
    // Only those of deliveries already handed to the action may still be reachable (through their requests' inject objects, not the plan).
    expect(bytes.filter((b) => b.deref() !== undefined).length).toBeLessThanOrEqual(2);
    openGate();
    await until(() => sent.length === 40);
    const want = new Map(events.map((e) => [e, JSON.stringify(JSON.parse(e))]));
    for (const s of sent) expect(s.body).toBe(want.get(s.text!));
  });

  it('a syntax error the shape pass alone would miss is still a 400 with its position, nothing sent', async () => {
    const a = await make([route('one', 'send', 'raw')]);
    for (const payload of ['{"kind":tru}', '{"a":[1,]}', '{"a":01}', '{"a":1}}', '{"a":"b\u0001"}', '{"a":1,"b":-}']) {
      const res = await a.inject({ method: 'POST', url: '/', headers: json, payload });
      expect(res.statusCode, payload).toBe(400);
      // The position JSON.parse names, when its message has one.
      const pos = /position (\d+)/.exec((() => { try { JSON.parse(payload); } catch (e) { return (e as Error).message; } return ''; })())?.[1] ?? '\\d+';
      expect(res.json().message, payload).toMatch(new RegExp(`^malformed JSON at position ${pos} \\(line 1, column \\d+\\)`));
    }
    await new Promise((r) => setTimeout(r, 30));
    expect(sent).toEqual([]);
  });

  it('a canonical body with the reserved top-level key is parsed, the key removed and said so; a nested one stays', async () => {
    const a = await make([route('one', 'send', 'raw')]);
    const res = await a.inject({ method: 'POST', url: '/', headers: json, payload: '{"a":1,"hooker":{"x":1},"b":{"hooker":2}}' });
    expect(res.statusCode).toBe(202);
    expect(res.json().removed).toEqual(['hooker']);
    await until(() => sent.length === 1);
    expect(sent[0]!.text).toBe('{"a":1,"b":{"hooker":2}}');
    // Not canonical (whitespace): parsed at once, as before.
    const spaced = await a.inject({ method: 'POST', url: '/', headers: json, payload: '{"a": 2}' });
    expect(spaced.statusCode).toBe(202);
    await until(() => sent.length === 2);
    expect(sent[1]!.text).toBe('{"a":2}');
  });
});

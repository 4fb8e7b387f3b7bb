// A native template's message rendered when first read (deferred-message.ts)
// must read exactly as the message rendered at once: through every way the
// delivery path and the stores take a message (its fields, JSON.stringify,
// a spread, structuredClone as a worker's postMessage does), for fixture
// events and random JSON; it renders at most once, and a render that fails
// reads as the failed-template message (its deliveries die at their first
// attempt instead of the action running). The router hands routes with a
// native template such a message and marks them for the store.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { deferredMessage } from '../../src/templates/deferred-message.js';
import { NATIVE_TEMPLATES } from '../../src/templates/native-templates.js';
import { readStoredMessage } from '../../src/store/stored-message.js';
import { actionHandler } from '../../src/delivery/action-runner.js';
import type { RenderedMessage } from '../../src/actions/types.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const fixtureEvents = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')) as unknown);
const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const failed = (e: Error): RenderedMessage => ({ title: '', body: '', templateError: `template "raw" failed for this event: ${e.message}` });

/** The message as each consumer sees it. */
function views(m: RenderedMessage) {
  return { fields: { title: m.title, body: m.body, url: m.url, templateError: m.templateError }, json: JSON.stringify(m), spread: JSON.stringify({ ...m }), cloned: JSON.stringify(structuredClone(m)) };
}

describe.each([...NATIVE_TEMPLATES])('%s deferred', (_pkg, render) => {
  const same = (event: unknown): void => { expect(views(deferredMessage(() => render(event), failed))).toEqual(views(render(event))); };

  it('reads as the message rendered at once, for every fixture event', () => {
    for (const event of fixtureEvents) same(event);
  });

  it('reads as the message rendered at once, for random JSON', () => {
    fc.assert(fc.property(json, (event) => { same(event); }), { seed: 1226, numRuns: 300 });
  });
});

describe('deferred message', () => {
  it('renders once however often and however it is read', () => {
    let calls = 0;
    const m = deferredMessage(() => { calls++; return { title: 't', body: 'b' }; }, failed);
    expect(calls).toBe(0);
    expect([m.body, m.title, JSON.stringify(m), JSON.stringify(structuredClone(m))]).toEqual(['b', 't', '{"title":"t","body":"b"}', '{"title":"t","body":"b"}']);
    expect(calls).toBe(1);
  });

  it('reads a failed render as the failed-template message, and the delivery dies without running the action', async () => {
    const m = deferredMessage(() => { throw new RangeError('Maximum call stack size exceeded'); }, failed);
    expect(m.templateError).toBe('template "raw" failed for this event: Maximum call stack size exceeded');
    expect(JSON.parse(JSON.stringify(m))).toEqual({ title: '', body: '', templateError: 'template "raw" failed for this event: Maximum call stack size exceeded' });
    let ran = false;
    const action = { name: 'a', type: 'http', deliver: async () => { ran = true; return { ok: true, detail: 'sent' }; } };
    const handler = actionHandler(() => new Map([['a', action as never]]));
    const { result } = await handler({ deliveryId: 'd', eventId: 'e', routeName: 'r', actionName: 'a', event: {}, message: m, hops: 0, enqueuedAt: 0, attempt: 1 }, new AbortController().signal);
    expect(ran).toBe(false);
    expect(result).toMatchObject({ ok: false, retryable: false, detail: 'template "raw" failed for this event: Maximum call stack size exceeded' });
  });

  it('a stored native marker whose render fails reads back as a failed-template message, not an error of the read', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 200_000; i++) { const next = {}; at['k'] = next; at = next; }
    const message = readStoredMessage('native:hooker.rawmessage.json', () => deep);
    expect(message.templateError).toMatch(/^template hooker.rawmessage.json failed for this event: /);
    expect(message.body).toBe('');
  });

  it('leaves the messages and what they reach to the young-generation collector', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
    const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
    // As the router makes them: one per event, its render closing over the event, read once (the runner's check), dropped.
    for (let i = 0; i < 8; i++) void deferredMessage(() => ({ title: 't', body: 'b' }), failed, true).templateError;
    gc(); gc(); // the code and maps are as old as a server's after its first seconds
    const before = oldSpaceUsed();
    for (let i = 0; i < 20_000; i++) {
      const event = { i, pad: new Array<number>(16).fill(i) };
      void deferredMessage(() => ({ title: `t${event.i}`, body: 'b' }), failed, true).templateError;
    }
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    // An object literal's getters (new functions per message) kept every message and its event through both
    // scavenges: ~17 MB for these 20,000 (BENCHMARKS.md "session 16: promo2").
    expect(oldSpaceUsed() - before).toBeLessThan(1_000_000);
  });
});

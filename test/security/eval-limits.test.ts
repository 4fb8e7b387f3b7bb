// Issue 15, case 3: one event (or one rule) must not take the process down.
// `numbers.range(1, input.count)` with count 1e9 used to abort Node with a
// fatal "invalid size"; a string doubled past the wasm memory used to grow
// the heap without bound. Now the route fails for that event with its
// reason (202 answer, /events, metric) and every other route delivers.
// A real server (in-process, real sockets and SQLite file): on today's main
// the first test kills the worker process running it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { compile, loadPolicy, RegoLimitError } from '../../src/rego/index.js';
import { DEFAULT_EVAL_LIMITS } from '../../src/rego/limits.js';
import { startReceiver } from '../e2e/receiver.js';
import { serve, tempDir } from '../e2e/server-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ADMIN, expectAlive, finishedDeliveries, get, post } from './actions-support.js';

const DOUBLING = ['s0 := input.s', ...Array.from({ length: 24 }, (_, i) => `s${i + 1} := concat("", [s${i}, s${i}])`), 'count(s24) > 0'].join('\n      ');

describe('evaluation limits: a hostile event fails its route, never the server', () => {
  let server: RunningServer;
  let base = '';
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const savedTimeout = process.env['HOOKER_EVAL_TIMEOUT'];

  beforeAll(async () => {
    receiver = await startReceiver();
    // A short time budget, read when the routes are compiled.
    process.env['HOOKER_EVAL_TIMEOUT'] = '1s';
    server = await serve(tempDir(), `
routes:
  - name: ranges
    input: count(numbers.range(1, input.count)) > 0
    actions: [ship]
    template: raw
  - name: doubling
    input: |
      input.kind == "double"
      ${DOUBLING}
    actions: [ship]
    template: raw
  - name: slow
    input: |
      input.kind == "slow"
      count([x | some x in numbers.range(1, 900000); regex.match("^(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaa!")]) >= 0
    actions: [ship]
    template: raw
  - name: spin
    input: |
      input.kind == "spin"
      count([1 | some a in input.o; some b in input.o; some c in input.o; a == -1]) >= 0
    actions: [ship]
    template: raw
  - name: everything
    actions: [ship]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: ship
    type: http
    enable: true
    url: ${receiver.url}/in
`, { HOOKER_ADMIN_TOKEN: ADMIN });
    base = server.httpUrl!;
  }, 120_000);
  afterAll(async () => {
    if (savedTimeout === undefined) delete process.env['HOOKER_EVAL_TIMEOUT']; else process.env['HOOKER_EVAL_TIMEOUT'] = savedTimeout;
    await server?.close();
    await receiver?.close();
  });

  async function sendHostile(event: Record<string, unknown>, failing: string, reason: RegExp) {
    const res = await post(`${base}/`, event);
    expect(res.status).toBe(202);
    const body = res.json() as { eventId: string; matched: string[]; skipped: Array<{ route: string; reason: string }> };
    expect(body.matched).toContain('everything');
    expect(body.matched).not.toContain(failing);
    const skip = body.skipped.find((s) => s.route === failing);
    expect(skip?.reason).toMatch(reason);
    // The accepted event is in the deliveries records and delivered by the other route.
    const rows = await finishedDeliveries(base, body.eventId);
    expect(rows.filter((r) => r.route === 'everything').map((r) => r.state)).toEqual(['succeeded']);
    await expectAlive(base);
    return body;
  }

  it('numbers.range(1, 1e9) from the event: the route fails with the element limit, the server lives', async () => {
    const body = await sendHostile({ count: 1e9 }, 'ranges', /evaluation limit exceeded \(elements\).*numbers\.range.*1000000000/);
    // The same event again (a sender retrying) changes nothing.
    await sendHostile({ count: 1e9 }, 'ranges', /elements/);
    // A sane count still matches.
    const ok = await post(`${base}/`, { count: 3 });
    expect((ok.json()['matched'] as string[])).toEqual(['ranges', 'everything']);
    // The event's record says why (GET /events) and a metric counts it.
    const events = (await get(`${base}/events?limit=10`)).json()['events'] as Array<{ eventId: string; skipped: Array<{ route: string; reason: string }> }>;
    expect(events.find((e) => e.eventId === body.eventId)?.skipped[0]?.reason).toMatch(/evaluation failed: .*elements/);
    const metrics = await (await request(`${base}/metrics`)).body.text();
    expect(metrics).toMatch(/hooker_evaluation_failures_total\{route="ranges",limit="elements"\} 2/);
  }, 60_000);

  it('a string doubled past the wasm memory cap: the route fails with the memory limit', async () => {
    await sendHostile({ kind: 'double', count: 1, s: 'x'.repeat(64 * 1024) }, 'doubling', /evaluation limit exceeded \(memory\)/);
  }, 60_000);

  it('a filter calling builtins for longer than HOOKER_EVAL_TIMEOUT: the route fails with the time limit', async () => {
    await sendHostile({ kind: 'slow', count: 1 }, 'slow', /evaluation limit exceeded \(time\)/);
  }, 60_000);

  it('loops calling no builtin at all (a billion iterations) stop at HOOKER_EVAL_TIMEOUT too', async () => {
    // Three nested loops over an object of 1,000 keys: minutes of pure wasm,
    // no allocation (object iteration), no host builtin to check the clock.
    const o = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    await sendHostile({ kind: 'spin', o }, 'spin', /evaluation limit exceeded \(time\)/);
    // With a small object the same route evaluates and matches (the count is 0).
    const ok = await post(`${base}/`, { kind: 'spin', o: { a: 1 } });
    expect(ok.json()['matched'] as string[]).toEqual(['spin', 'everything']);
  }, 60_000);
});

describe('evaluation limits in the engine', () => {
  async function policy(body: string) {
    const { wasm } = compile({ modules: [{ file: 'p.rego', source: `package p\n${body}\nother if { input.ok }\n` }], entrypoints: ['p/allow', 'p/other'] });
    return loadPolicy(wasm, { limits: { ...DEFAULT_EVAL_LIMITS, memoryBytes: 64 * 1024 * 1024, timeMs: 60_000 } });
  }

  it('an operator rule with a large constant bound fails with a typed error, and the policy keeps working', async () => {
    const p = await policy('allow if { count(numbers.range_step(0, 5000000000, 2)) > 0 }');
    expect(() => p.evaluate({ ok: false }, 'p/allow')).toThrow(/p\.rego:2: .*evaluation limit exceeded \(elements\): numbers\.range_step/);
    expect(() => p.evaluate({ ok: true }, 'p/allow')).toThrow(RegoLimitError);
    expect(p.evaluate({ ok: true }, 'p/other')).toEqual([{ result: true }]);
  });

  it('a comprehension over a large constant, calling no builtin while it loops, stops at the time budget', async () => {
    const { wasm } = compile({
      modules: [{ file: 'spin.rego', source: `package p
keys := {sprintf("k%d", [i]): i | some i in numbers.range(1, 2000)}
allow if count([1 | some a in keys; some b in keys; some c in keys; a == b; b == c; c == 0]) == 0
other if input.ok
` }],
      entrypoints: ['p/allow', 'p/other'],
    });
    const p = await loadPolicy(wasm, { limits: { ...DEFAULT_EVAL_LIMITS, timeMs: 500 } });
    let err: unknown;
    try { p.evaluate({}, 'p/allow'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RegoLimitError);
    expect((err as RegoLimitError).limit).toBe('time');
    expect((err as Error).message).toMatch(/the evaluation ran longer than 500 ms/);
    // The next evaluation has its own budget.
    expect(p.evaluate({ ok: true }, 'p/other')).toEqual([{ result: true }]);
  });

  it('an input larger than the memory cap is a memory limit error, not a crash', async () => {
    const p = await policy('allow if { input.ok }');
    let err: unknown;
    try { p.evaluate({ big: 'y'.repeat(80 * 1024 * 1024) }, 'p/allow'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RegoLimitError);
    expect((err as RegoLimitError).limit).toBe('memory');
    expect(p.evaluate({ ok: true }, 'p/other')).toEqual([{ result: true }]);
  });
});

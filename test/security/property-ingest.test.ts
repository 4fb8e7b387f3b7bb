// Property: random and mutated JSON bodies posted to a real server (in
// process, real sockets and SQLite file) never get a 5xx, never crash it,
// and every event answered 202 is in the deliveries records for each route
// it matched (a route the answer lists as skipped, with its reason, has
// nothing to deliver).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { request } from 'undici';
import { serve, tempDir, receiver, type Receiver } from '../e2e/server-harness.js';
import type { RunningServer } from '../../src/server/server.js';
import { ADMIN, deliveriesOf, expectAlive } from './actions-support.js';

const SEED = 1515;

/** A JSON text with a few characters inserted, deleted or replaced. */
const mutatedJson = fc.tuple(fc.json({ maxDepth: 4 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', '\uFEFF', 'e9', '-', '1e400', '\ud800'), fc.boolean()), { maxLength: 4 }))
  .map(([text, edits]) => {
    let s = text;
    for (const [at, ch, insert] of edits) {
      const i = s.length ? at % s.length : 0;
      s = insert ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + ch + s.slice(i + 1);
    }
    return s;
  });

const body = fc.oneof(
  fc.json({ maxDepth: 5 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ type: 'x', data: v })),
  mutatedJson,
);

describe('property: ingest of random and mutated JSON', () => {
  let server: RunningServer;
  let rx: Receiver;
  let base = '';
  beforeAll(async () => {
    rx = await receiver();
    server = await serve(tempDir(), `
routes:
  - name: all
    actions: [ship]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: ship
    type: http
    enable: true
    url: ${rx.url}/in
`, { HOOKER_ADMIN_TOKEN: ADMIN });
    base = server.httpUrl!;
  }, 120_000);
  afterAll(async () => { await server?.close(); await rx?.close(); });

  it('never a 5xx, every 202 stored with its delivery, the server alive', async () => {
    await fc.assert(fc.asyncProperty(body, async (text) => {
      const res = await request(`${base}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
      const answer = await res.body.text();
      expect(res.statusCode, answer).toBeLessThan(500);
      if (res.statusCode === 202) {
        const a = JSON.parse(answer) as { eventId: string; matched: string[]; skipped: Array<{ route: string; reason: string }> };
        const delivering = a.matched.filter((r) => !a.skipped.some((s) => s.route === r));
        expect(a.matched).toEqual(['all']);
        for (const s of a.skipped) expect(s.reason).toMatch(/\S/);
        expect((await deliveriesOf(base, a.eventId)).map((d) => d.route)).toEqual(delivering);
      } else {
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
      }
    }), { numRuns: 200, seed: SEED });
    await expectAlive(base);
  }, 60_000);
});

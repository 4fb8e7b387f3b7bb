// A real Falco event whose rule output uses %evt.time carries a 19-digit
// nanosecond integer, more digits than a 64-bit float holds. Posted to a real
// `hooker serve` process, it must be accepted, compared exactly by a route's
// Rego, and reach the receiver with its digits unchanged: in the raw event
// body, in a raw-json template's rendered message (rendered by the Rego
// runtime), and in a body-content reference. A negative zero, a double
// JSON.stringify writes as 0 (Go's encoding/json, Postee's, writes -0), is
// kept as sent the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver } from './receiver.js';

const falco = readFileSync(new URL('../../../shared/fixtures/falco-event.json', import.meta.url), 'utf8');
const DIGITS = '1507591916746609046';

describe('numbers beyond a 64-bit float, end to end', () => {
  let h: HookerProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'hooker-bignum-'));
    const cfg = join(dir, 'cfg.yaml');
    // 1507591916746609046 as a double is 1507591916746609152: a rounded
    // comparison would match "later" too, and "exact" would not.
    writeFileSync(cfg, `
routes:
  - name: exact
    input: input.output_fields["evt.time"] == 1507591916746609046
    actions: [raw, message, ref]
    template: raw-json
  - name: later
    input: input.output_fields["evt.time"] > 1507591916746609046
    actions: [raw]
    template: raw-json
  - name: zero
    input: input.zero == 0
    actions: [raw, message]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: raw
    type: http
    enable: true
    url: ${receiver.url}/raw
  - name: message
    type: webhook
    enable: true
    url: ${receiver.url}/message
  - name: ref
    type: http
    enable: true
    url: ${receiver.url}/ref
    body-content: '{"t": event.input.output_fields["evt.time"], "s": "at event.input.output_fields["evt.time"]"}'
`);
    h = await startHooker({ HOOKER_CFG: cfg, HOOKER_ADMIN_TOKEN: 'adm' }, { startTimeoutMs: 240_000 });
  }, 300_000);
  afterAll(async () => { await h?.stop(); await receiver?.close(); });

  it('a Falco event with a 19-digit evt.time is accepted, routed by an exact comparison and delivered with its digits', async () => {
    const res = await request(`${h.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: falco });
    const answer = (await res.body.json()) as { eventId: string; matched: string[] };
    expect(res.statusCode).toBe(202);
    expect(answer.matched).toEqual(['exact']);

    const got = await receiver.waitFor(3);
    const by = (path: string) => got.find((g) => g.url === path)!;
    expect(got.map((g) => g.url).sort()).toEqual(['/message', '/raw', '/ref']);
    // The event as it arrived: same keys and values, the big integer as its digits.
    expect(by('/raw').body).toContain(`"evt.time":${DIGITS}`);
    expect(withoutBig(by('/raw').body)).toEqual(withoutBig(falco));
    // The raw-json template's rendered message (rendered by the Rego runtime).
    expect(by('/message').body).toContain(`"evt.time":${DIGITS}`);
    // A reference standing as a JSON value inserts the number; inside a string, its digits.
    expect(by('/ref').body).toBe(`{"t": ${DIGITS}, "s": "at ${DIGITS}"}`);
  });

  it('a negative zero is routed as the number 0 and delivered as sent', async () => {
    const event = '{"zero":-0,"list":[-0,0,-0.0,-0e3,-0.5],"nested":{"z":-0},"text":"2026-00-01 -0"}';
    const before = receiver.got.length;
    const res = await request(`${h.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: event });
    const answer = (await res.body.json()) as { matched: string[] };
    expect(res.statusCode).toBe(202);
    expect(answer.matched).toEqual(['zero']);
    const got = (await receiver.waitFor(before + 2)).slice(before);
    const by = (path: string) => got.find((g) => g.url === path)!;
    expect(got.map((g) => g.url).sort()).toEqual(['/message', '/raw']);
    expect(by('/raw').body).toBe(event);
    // Rendered by the Rego runtime: each zero keeps its sign.
    expect(by('/message').body).toContain('"zero":-0');
    expect(by('/message').body).toContain('"z":-0');
  });
});

/** The JSON value with the big integer swapped for a marker, to compare the rest with JSON.parse. */
function withoutBig(text: string): unknown {
  return JSON.parse(text.replace(DIGITS, '"BIG"'));
}

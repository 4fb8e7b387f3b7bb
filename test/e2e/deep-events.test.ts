// An event as deep as HOOKER_MAX_DEPTH may be set (MAX_SUPPORTED_DEPTH) goes
// all the way: accepted, stored, routed, rendered by both native templates
// for the action runner's template check (an event deeper than the bound
// the check skips, NATIVE_SAFE_DEPTH) and delivered. Past that setting the
// server once answered 500 to such events (the stack ran out while the
// event was serialised for storage); the setting is now refused at start
// instead (test/config/env.test.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { MAX_SUPPORTED_DEPTH } from '../../src/config/env.js';
import { NATIVE_SAFE_DEPTH } from '../../src/templates/native-templates.js';
import type { RunningServer } from '../../src/server/server.js';
import { deliveriesOf, nativeTemplatesConfig, receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

let server: RunningServer | undefined;
let rx: Receiver | undefined;
afterAll(async () => { await server?.close(); await rx?.close(); });

const nested = (depth: number) => '{"kind":"deep","x":' + '['.repeat(depth - 1) + '1' + ']'.repeat(depth - 1) + '}';

describe('events as deep as HOOKER_MAX_DEPTH allows', () => {
  it(`${MAX_SUPPORTED_DEPTH} levels are accepted and delivered through raw-json and raw-html; one more is a 400`, { timeout: 60_000 }, async () => {
    expect(MAX_SUPPORTED_DEPTH).toBeGreaterThan(NATIVE_SAFE_DEPTH);
    rx = await receiver(() => 200);
    const http = (url: string) => `type: http\n    enable: true\n    url: ${url}`;
    server = await serve(tempDir(), nativeTemplatesConfig({ input: 'input.kind == "deep"', toJson: http(`${rx.url}/json`), toHtml: http(`${rx.url}/html`) }), { HOOKER_MAX_DEPTH: String(MAX_SUPPORTED_DEPTH) });
    const post = (body: string) => request(`${server!.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    const over = await post(nested(MAX_SUPPORTED_DEPTH + 1));
    expect(over.statusCode).toBe(400);
    expect(((await over.body.json()) as { message: string }).message).toContain(`deeper than ${MAX_SUPPORTED_DEPTH} levels (HOOKER_MAX_DEPTH)`);

    const body = nested(MAX_SUPPORTED_DEPTH);
    const res = await post(body);
    expect(res.statusCode).toBe(202);
    const { eventId, matched } = (await res.body.json()) as { eventId: string; matched: string[] };
    expect(matched).toEqual(['as-json', 'as-html']);
    const states = await until(async () => {
      const d = await deliveriesOf(server!, eventId);
      return d.length === 2 && d.every((x) => x.state === 'succeeded' || x.state === 'dead') ? d : undefined;
    }, 30_000);
    expect(Object.fromEntries(states.map((d) => [d.route, d.state]))).toEqual({ 'as-json': 'succeeded', 'as-html': 'succeeded' });
    // The http action sends the event itself: the receiver got it whole on both paths.
    for (const path of ['/json', '/html']) {
      const hit = rx.hits.find((h) => h.url === path);
      expect(hit, path).toBeDefined();
      expect(JSON.parse(hit!.body)).toEqual(JSON.parse(body));
    }
  });
});

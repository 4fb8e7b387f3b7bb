// The message of a bundled native template (raw-json, raw-html) is stored as
// the template's name and rendered again from the stored event when a
// delivery is read back from the store (src/store/stored-message.ts). A
// retry is such a read: its body must be byte for byte the body of the
// first attempt, which was sent with the message rendered at ingest.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.js';
import { timeOrderedId } from '../../src/store/time-ordered-id.js';
import { deliveriesOf, nativeTemplatesConfig, receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

const FIXTURES = new URL('../../../shared/fixtures/', import.meta.url);
const events = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).map((f) => readFileSync(new URL(f, FIXTURES), 'utf8'))
  .filter((text) => { try { JSON.parse(text); return true; } catch { return false; } });

describe('native template messages read back from the store', () => {
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => { for (const c of closers.reverse()) await c(); });

  it('a retried delivery sends the same bytes as its first attempt, for raw-json and raw-html', async () => {
    // Each delivery's first attempt is refused, so its retry is claimed from the store.
    const seen = new Set<string>();
    const failFirst: Receiver['answer'] = (hit) => {
      const id = String(hit.headers['hooker-delivery-id']);
      if (seen.has(id)) return 200;
      seen.add(id);
      return 503;
    };
    const json = await receiver(failFirst);
    const html = await receiver(failFirst);
    closers.push(json.close, html.close);
    const policy = 'type: webhook\n    enable: true\n    retries: 2\n    retry-backoff: 50ms';
    const server: RunningServer = await serve(tempDir(), nativeTemplatesConfig({ toJson: `url: ${json.url}/\n    ${policy}`, toHtml: `url: ${html.url}/\n    ${policy}` }));
    closers.push(() => server.close());
    expect(events.length).toBeGreaterThan(3);
    for (const body of events) {
      const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.statusCode).toBe(202);
      await res.body.text();
    }
    await until(() => json.hits.length === events.length * 2 && html.hits.length === events.length * 2, 30_000);
    for (const r of [json, html]) {
      const byDelivery = new Map<string, string[]>();
      for (const h of r.hits) {
        const id = String(h.headers['hooker-delivery-id']);
        byDelivery.set(id, [...(byDelivery.get(id) ?? []), h.body]);
      }
      expect(byDelivery.size).toBe(events.length);
      for (const [first, retry] of byDelivery.values()) {
        expect(first!.length).toBeGreaterThan(0);
        expect(retry).toBe(first);
      }
    }
  }, 60_000);

  it('a stored event its native template cannot render still kills its deliveries at the first attempt', async () => {
    // The runner skips rendering a native message only to check it when the
    // event is within the bounds the templates always render
    // (nativeRenderCannotFail). An event nested 100,000 levels (stored as
    // sent: HOOKER_MAX_DEPTH may be raised, and a database outlives the
    // settings it was filled under) runs raw-html's recursion out of stack
    // whatever the JIT did: its deliveries must be dead with the template's
    // error, and the http action, which never reads the message, must not
    // have sent it.
    const hits = await receiver();
    closers.push(hits.close);
    const dir = tempDir();
    const depth = 100_000;
    const deepText = '{"a":'.repeat(depth - 1) + '[1]' + '}'.repeat(depth - 1);
    const seeded = await openStore(join(dir, 'hooker.db'));
    const deepId = timeOrderedId();
    await seeded.deliveries.insertPlans([{
      eventId: deepId, receivedAt: Date.now(), hops: 0, event: null, eventText: deepText,
      routes: [{
        route: 'deep-html', template: 'raw-html', nativeTemplate: 'hooker.rawmessage.html', message: { title: '', body: '' },
        deliveries: ['fresh', 'claimed'].map((action) => ({ id: timeOrderedId(), action, stage: 0, kind: 'ReadOnly' as const })),
      }],
    }]);
    await seeded.close();
    const server: RunningServer = await serve(dir, `
routes:
  - name: deep-html
    actions: [fresh, claimed]
    template: raw-html
templates:
  - name: raw-html
    rego-package: hooker.rawmessage.html
actions:
  - name: fresh
    type: http
    enable: true
    url: ${hits.url}/fresh
  - name: claimed
    type: http
    enable: true
    rate-limit: 1000/s
    url: ${hits.url}/claimed
`);
    closers.push(() => server.close());
    const states = (id: string) => deliveriesOf(server, id);
    const dead = await until(async () => { const d = await states(deepId); return d.length === 2 && d.every((x) => x.state === 'dead') && d; }, 30_000);
    for (const d of dead) {
      expect(d.attempts, d.action).toBe(1);
      expect(d.lastError, d.action).toMatch(/^template hooker\.rawmessage\.html failed for this event: Maximum call stack size exceeded/);
    }
    // A shallow event posted now is delivered by both lanes; the deep one by neither.
    const shallow = '{"a":{"b":[1,2,"x"]}}';
    const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: shallow });
    expect(res.statusCode).toBe(202);
    const { eventId } = (await res.body.json()) as { eventId: string };
    await until(async () => (await states(eventId)).every((x) => x.state === 'succeeded') && hits.hits.length >= 2, 30_000);
    expect(hits.hits.map((h) => h.url).sort()).toEqual(['/claimed', '/fresh']);
    expect(hits.hits.every((h) => h.body === shallow)).toBe(true);
  }, 60_000);
});

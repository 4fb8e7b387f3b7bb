// The message of a bundled native template (raw-json, raw-html) is stored as
// the template's name and rendered again from the stored event when a
// delivery is read back from the store (src/store/stored-message.ts). A
// retry is such a read: its body must be byte for byte the body of the
// first attempt, which was sent with the message rendered at ingest.
import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

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
    const server: RunningServer = await serve(tempDir(), `
routes:
  - name: as-json
    actions: [to-json]
    template: raw-json
  - name: as-html
    actions: [to-html]
    template: raw-html
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
  - name: raw-html
    rego-package: hooker.rawmessage.html
actions:
  - name: to-json
    url: ${json.url}/
    ${policy}
  - name: to-html
    url: ${html.url}/
    ${policy}
`);
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
});

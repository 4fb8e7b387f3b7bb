// Postee's plugins with Hooker's semantics over real sockets and a real
// SQLite file: dedup per route and aggregation, both across a restart, and
// ReadAndWrite enrichment seen by the ReadOnly actions after it.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

const trivy = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url), 'utf8'));

async function post(server: RunningServer, body: unknown) {
  const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.statusCode).toBe(202);
  return (await res.body.json()) as { eventId: string; matched: string[]; skipped: Array<{ route: string; reason: string }> };
}

const servers: RunningServer[] = [];
const receivers: Receiver[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  for (const r of receivers) await r.close();
});

async function start(dir: string, cfg: string): Promise<RunningServer> {
  const s = await serve(dir, cfg);
  servers.push(s);
  return s;
}

describe('unique-message-props', () => {
  it('drops repeats for that route only, keeps keys across a restart, and lets them expire', async () => {
    const rx = await receiver();
    receivers.push(rx);
    const dir = tempDir();
    const cfg = `
routes:
  - name: once-per-image
    actions: [to-rx]
    template: raw-json
    plugins:
      unique-message-props: [image, tag]
      unique-message-timeout: 1h
  - name: short
    input: input.short == true
    actions: [to-rx]
    template: raw-json
    plugins:
      unique-message-props: [image]
      unique-message-timeout: 400ms
  - name: every-event
    actions: [to-rx]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: to-rx
    type: http
    enable: true
    url: ${rx.url}/event.input.image
`;
    let s = await start(dir, cfg);
    await post(s, { image: 'alpine', tag: '3' });
    const repeat = await post(s, { image: 'alpine', tag: '3' });
    expect(repeat.skipped).toEqual([{ route: 'once-per-image', reason: expect.stringContaining('duplicate') }]);
    await post(s, { image: 'alpine', tag: '4' });
    await until(() => rx.hits.length === 5);
    await s.close();

    s = await start(dir, cfg);
    const afterRestart = await post(s, { image: 'alpine', tag: '3' });
    expect(afterRestart.skipped.map((x) => x.route)).toEqual(['once-per-image']);
    await until(() => rx.hits.length === 6);
    const metrics = await (await request(`${s.httpUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/hooker_duplicates_dropped_total\{route="once-per-image"\} 1/);

    // A key expires after unique-message-timeout and is purged.
    await post(s, { image: 'busybox', short: true });
    expect((await post(s, { image: 'busybox', short: true })).skipped.map((x) => x.route)).toEqual(['once-per-image', 'short']);
    await new Promise((r) => setTimeout(r, 450));
    expect((await post(s, { image: 'busybox', short: true })).skipped.map((x) => x.route)).toEqual(['once-per-image']);
    expect(await s.engine.store.dedup.purgeExpired(Date.now() + 2 * 3_600_000)).toBeGreaterThan(0);
  });
});

describe('aggregation', () => {
  it('flushes a buffer by count through the aggregation package, including messages buffered before a restart', async () => {
    const rx = await receiver();
    receivers.push(rx);
    const dir = tempDir();
    const cfg = `
routes:
  - name: digest
    actions: [hook]
    template: trivy-slack
    plugins:
      aggregate-message-number: 3
      aggregate-message-timeout: 1h
templates:
  - name: trivy-slack
    rego-package: hooker.trivy.slack
actions:
  - name: hook
    type: webhook
    enable: true
    url: ${rx.url}/digest
`;
    let s = await start(dir, cfg);
    await post(s, trivy);
    await post(s, trivy);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.hits).toHaveLength(0);
    await s.close();
    s = await start(dir, cfg);
    await post(s, trivy);
    await until(() => rx.hits.length === 1);
    const blocks = JSON.parse(rx.hits[0]!.body) as Array<{ type: string; text?: { text: string } }>;
    expect(blocks[0]!.text!.text).toBe('3 Trivy reports');
    expect(blocks.filter((b) => b.type === 'header')).toHaveLength(4);
    expect(await s.engine.store.aggregates.count('digest')).toBe(0);
  });

  it('flushes by time after a restart, and a template without aggregation package combines messages', async () => {
    const rx = await receiver();
    receivers.push(rx);
    const dir = tempDir();
    const cfg = `
routes:
  - name: batch
    actions: [hook]
    template: raw-json
    plugins:
      aggregate-message-number: 100
      aggregate-message-timeout: 600ms
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: hook
    type: webhook
    enable: true
    url: ${rx.url}/batch
`;
    let s = await start(dir, cfg);
    await post(s, { n: 1 });
    await post(s, { n: 2 });
    await s.close();
    expect(rx.hits).toHaveLength(0);
    s = await start(dir, cfg);
    await until(() => rx.hits.length === 1, 5_000);
    expect(JSON.parse(rx.hits[0]!.body)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe('ReadAndWrite enrichment', () => {
  it('an http action\'s JSON answer is merged into the event the ReadOnly actions after it see', async () => {
    const lookup = await receiver(() => ({ json: { owner: 'team-a', severity: 'high' } }));
    const notify = await receiver();
    receivers.push(lookup, notify);
    const s = await start(tempDir(), `
routes:
  - name: enrich
    actions: [notify, lookup]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: lookup
    type: http
    enable: true
    kind: ReadAndWrite
    url: ${lookup.url}/owner/event.input.image
  - name: notify
    type: http
    enable: true
    url: ${notify.url}/notify
    body-content: '{"image": "event.input.image", "owner": "event.input.owner"}'
`);
    await post(s, { image: 'alpine', severity: 'low' });
    await until(() => notify.hits.length === 1);
    expect(lookup.hits[0]!.url).toBe('/owner/alpine');
    expect(notify.hits[0]!.at).toBeGreaterThanOrEqual(lookup.hits[0]!.at);
    expect(JSON.parse(notify.hits[0]!.body)).toEqual({ image: 'alpine', owner: 'team-a' });
    expect(JSON.parse(Buffer.from(String(notify.hits[0]!.headers['hooker-event']), 'base64').toString())).toEqual({ image: 'alpine', severity: 'high', owner: 'team-a' });
  });
});

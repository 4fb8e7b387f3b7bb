// Real processes and sockets: Tracee TRC-2 -> exec + http; two chained
// Hookers; loops cut by Hooker-Hops; error answers; reload of a broken config.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver } from './receiver.js';

const fixture = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8'));
const trc2 = { ...fixture, SigMetadata: { ...fixture.SigMetadata, ID: 'TRC-2', Name: 'Anti-Debugging' } };

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) };
}

async function until<T>(fn: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('hooker serve end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-e2e-'));
  const procs: HookerProcess[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => { receiver = await startReceiver(); });
  afterAll(async () => { await Promise.all(procs.map((p) => p.stop())); await receiver.close(); });

  it('a Tracee TRC-2 event runs the exec action and the http action', async () => {
    const saved = join(dir, 'forensics.log');
    const cfg = join(dir, 'trc2.yaml');
    writeFileSync(cfg, `
routes:
  - name: trc2
    input: input.SigMetadata.ID == "TRC-2"
    actions: [save, ship]
    template: raw-json
    serialize-actions: true
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: save
    type: exec
    enable: true
    exec-script: printf '%s' "$HOOKER_EVENT" > "$OUT"
    env: ["OUT=${saved}"]
  - name: ship
    type: http
    enable: true
    url: ${receiver.url}/forensics/event.input.SigMetadata.ID
    body-content: '{"host": "event.input.Context.containerId"}'
`);
    const h = await startHooker({ HOOKER_CFG: cfg, HOOKER_ADMIN_TOKEN: 'adm', HOOKER_MAX_BODY: '4096' });
    procs.push(h);
    const before = receiver.got.length;
    const res = await post(`${h.url}/`, trc2);
    expect(res.status).toBe(202);
    expect(res.json().matched).toEqual(['trc2']);
    const got = (await receiver.waitFor(before + 1))[before]!;
    expect(got.url).toBe('/forensics/TRC-2');
    expect(JSON.parse(got.body)).toEqual({ host: 'abbc123' });
    expect(JSON.parse(Buffer.from(String(got.headers['hooker-event']), 'base64').toString())).toEqual(trc2);
    const script = await until(() => (existsSync(saved) ? readFileSync(saved, 'utf8') : undefined));
    expect(JSON.parse(script)).toEqual(trc2);

    // A TRC-1 event matches nothing.
    expect((await post(`${h.url}/`, fixture)).json().matched).toEqual([]);

    // Documented error answers.
    const bad = await post(`${h.url}/`, '{"a": }');
    expect(bad.status).toBe(400);
    expect(bad.json().message).toContain('position 6');
    const big = await post(`${h.url}/`, { x: 'y'.repeat(5000) });
    expect(big.status).toBe(413);
    const unknown = await post(`${h.url}/tenant/nope`, trc2);
    expect(unknown.status).toBe(404);
    expect(unknown.json().message).toBe('unknown route "nope"');

    // A broken config on reload is rejected and the running one stays.
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('template: raw-json', 'template: missing'));
    const reload = await request(`${h.url}/reload`, { method: 'POST', headers: { authorization: 'Bearer adm' } });
    expect(reload.statusCode).toBe(422);
    const body = (await reload.body.json()) as { problems: string[] };
    expect(body.problems.join('\n')).toMatch(/trc2\.yaml:6: error: routes\[0\]\.template: route "trc2" names template "missing"/);
    const tenant = await post(`${h.url}/tenant/trc2`, trc2);
    expect(tenant.status).toBe(200);
    expect(tenant.json()).toMatchObject({ matched: true, deliveries: [{ action: 'save', ok: true }, { action: 'ship', ok: true }] });
  });

  it('two chained Hookers deliver through both, and a loop is cut by Hooker-Hops', async () => {
    const cfgB = join(dir, 'b.yaml');
    writeFileSync(cfgB, `
routes:
  - name: out
    actions: [to-receiver]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: to-receiver
    type: http
    enable: true
    url: ${receiver.url}/from-b
`);
    // C (the loop) starts alongside B; it gets its looping config by reload once its URL is known.
    const cfgC = join(dir, 'c.yaml');
    writeFileSync(cfgC, 'routes: []\n');
    const [b, c] = await Promise.all([startHooker({ HOOKER_CFG: cfgB }), startHooker({ HOOKER_CFG: cfgC, HOOKER_MAX_HOPS: '3', HOOKER_ADMIN_TOKEN: 'adm' })]);
    procs.push(b, c);
    const cfgA = join(dir, 'a.yaml');
    writeFileSync(cfgA, `
routes:
  - name: forward
    actions: [to-b]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: to-b
    type: http
    enable: true
    url: ${b.url}/
`);
    const a = await startHooker({ HOOKER_CFG: cfgA });
    procs.push(a);
    const before = receiver.got.length;
    expect((await post(`${a.url}/`, { chained: true })).status).toBe(202);
    const got = await until(() => receiver.got.slice(before).find((r) => r.url === '/from-b'));
    expect(JSON.parse(Buffer.from(String(got.headers['hooker-event']), 'base64').toString())).toEqual({ chained: true });
    expect(got.headers['hooker-hops']).toBe('2');

    // Loop: C forwards to itself; each hop adds one until HOOKER_MAX_HOPS refuses it.
    writeFileSync(cfgC, `
routes:
  - name: loop
    actions: [self]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: self
    type: http
    enable: true
    url: ${c.url}/
`);
    const reload = await request(`${c.url}/reload`, { method: 'POST', headers: { authorization: 'Bearer adm' } });
    expect(reload.statusCode).toBe(200);
    await reload.body.text();
    expect((await post(`${c.url}/`, { loop: true })).status).toBe(202);
    let text = '';
    const end = Date.now() + 15_000;
    while (!/hooker_hops_exceeded_total 1/.test(text) && Date.now() < end) {
      text = await (await request(`${c.url}/metrics`)).body.text();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toMatch(/hooker_hops_exceeded_total 1/);
    expect(text).toMatch(/hooker_events_received_total 3/);
  });
});

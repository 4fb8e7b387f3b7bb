// Events that are not objects are routed and rendered; a template that fails
// for an event leaves a failed delivery with the reason (in /events, the
// deliveries API, `hooker deliveries`, the dead letters and a metric), never
// nothing. One real `hooker serve` process; the CLI runs as its own process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { receiver, until, type Receiver } from './server-harness.js';
import { runHooker, startHooker, type HookerProcess } from './hooker-process.js';

const findings = readFileSync(new URL('../../../shared/fixtures/securecodebox-findings.json', import.meta.url), 'utf8');

async function post(url: string, body: string) {
  const res = await request(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text) as { eventId: string; matched: string[] } };
}

async function admin(url: string, path: string) {
  const res = await request(`${url}${path}`, { headers: { authorization: 'Bearer adm' } });
  return { status: res.statusCode, text: await res.body.text() };
}

describe('events that are not objects, and templates that fail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-nonobject-'));
  let h: HookerProcess;
  let rx: Receiver;
  const eventIds: string[] = [];

  beforeAll(async () => {
    rx = await receiver();
    writeFileSync(join(dir, 'cfg.yaml'), `
routes:
  - name: everything
    actions: [hook]
    template: raw-json
  - name: titled
    actions: [titled-hook]
    template: needs-title
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
  - name: needs-title
    body: |
      package custom.titled
      import rego.v1
      result := sprintf("finding: %s", [input.title])
actions:
  - name: hook
    type: webhook
    enable: true
    url: ${rx.url}/raw
  - name: titled-hook
    type: webhook
    enable: true
    url: ${rx.url}/titled
    retries: 3
`);
    h = await startHooker({ HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_ADMIN_TOKEN: 'adm', HOOKER_DB: join(dir, 'hooker.db') }, { startTimeoutMs: 100_000 });
  }, 120_000);
  afterAll(async () => { await h?.stop(); await rx?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('a top-level array and scalars are routed and rendered by the raw templates', { timeout: 90_000 }, async () => {
    const a = await post(h.url, findings);
    expect(a.status).toBe(202);
    expect(a.json.matched).toEqual(['everything', 'titled']);
    eventIds.push(a.json.eventId);
    await until(() => rx.hits.some((hit) => hit.url === '/raw' && hit.body.startsWith('[')), 30_000);
    expect(JSON.parse(rx.hits.find((hit) => hit.url === '/raw')!.body)).toEqual(JSON.parse(findings));
    // A string result is text: posted as it is, as Postee posted text results (item 6).
    for (const [scalar, body] of [['42', '42'], ['"text"', 'text'], ['true', 'true'], ['null', 'null']] as const) {
      const r = await post(h.url, scalar);
      expect(r.status).toBe(202);
      expect(r.json.matched).toEqual(['everything', 'titled']);
      eventIds.push(r.json.eventId);
      await until(() => rx.hits.some((hit) => hit.url === '/raw' && hit.body === body), 30_000).catch(() => { throw new Error(`no ${scalar}: ${JSON.stringify(rx.hits.map((x) => [x.url, x.body.slice(0, 30), x.headers['content-type']]))}`); });
    }
  });

  it('the failing template leaves dead deliveries with the reason, seen everywhere a user looks', { timeout: 90_000 }, async () => {
    // needs-title has no result for an array or a scalar (input.title is undefined): a dead delivery at once, not retried.
    const reason = /template "needs-title" failed for this event: .*rule result is undefined/;
    const dead = await until(async () => {
      const r = await admin(h.url, '/deliveries?state=dead&route=titled');
      const list = JSON.parse(r.text) as { deliveries: Array<{ id: string; eventId: string; lastError?: string; attempts: number }> };
      return list.deliveries.length >= eventIds.length ? list.deliveries : undefined;
    }, 30_000);
    expect(dead.map((d) => d.eventId).sort()).toEqual([...eventIds].sort());
    for (const d of dead) {
      expect(d.lastError).toMatch(reason);
      expect(d.attempts).toBe(1);
    }
    expect(rx.hits.filter((hit) => hit.url === '/titled')).toEqual([]);

    // /events: each event shows its raw delivery succeeded and its titled delivery dead, with the reason.
    const events = JSON.parse((await admin(h.url, '/events')).text) as { events: Array<{ eventId: string; deliveries: Array<{ routeName: string; state: string; detail: string }> }> };
    for (const id of eventIds) {
      const e = events.events.find((x) => x.eventId === id);
      expect(e, id).toBeDefined();
      expect(e!.deliveries.find((d) => d.routeName === 'everything')!.state).toBe('succeeded');
      const titled = e!.deliveries.find((d) => d.routeName === 'titled')!;
      expect(titled.state).toBe('dead');
      expect(titled.detail).toMatch(reason);
    }

    const metrics = (await admin(h.url, '/metrics')).text;
    expect(metrics).toContain(`hooker_template_failures_total{route="titled"} ${eventIds.length}`);
    expect(metrics).not.toMatch(/hooker_template_failures_total\{route="everything"\}/);

    // `hooker deliveries list` (the dead letters) as its own process against the server.
    const cli = await runHooker(['deliveries', 'list', '--state', 'dead', '--route', 'titled'], { HOOKER_URL: h.url, HOOKER_ADMIN_TOKEN: 'adm' });
    expect(cli.code, cli.out).toBe(0);
    expect(cli.stdout).toContain('template "needs-title" failed for this event');
    for (const d of dead) expect(cli.stdout).toContain(d.id);

    // The log says it too.
    expect(h.stderr()).toMatch(/route \\?"titled\\?": template failed/);
  });
});

// `split-by`: one message per item of an event, over real sockets and a real
// SQLite file. The Alertmanager bodies are what a real Alertmanager posted
// (test/fixtures/alertmanager) and ../shared's fixture; each alert's message
// is compared with its golden (test/templates/golden/alertmanager-split/).
// Regenerate after a deliberate template change with UPDATE_GOLDENS=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { validateConfigText } from '../../src/config/validate.js';
import { formatProblem } from '../../src/config/problems.js';
import { actionTypes } from '../../src/actions/index.js';
import { MAX_SPLIT_ITEMS } from '../../src/routing/split-items.js';
import { receiver, serve, tempDir, until, type Receiver } from './server-harness.js';

const json = (url: URL) => JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown> & { alerts: Array<Record<string, unknown>> };
const firing = json(new URL('../fixtures/alertmanager/group-firing.json', import.meta.url));
const oneResolved = json(new URL('../fixtures/alertmanager/group-one-resolved.json', import.meta.url));
const shared = json(new URL('../../../shared/fixtures/alertmanager-webhook.json', import.meta.url));
const golden = new URL('../templates/golden/alertmanager-split/', import.meta.url);
const update = process.env['UPDATE_GOLDENS'] === '1';

function expectGolden(name: string, text: string): void {
  const file = new URL(name, golden);
  if (update || !existsSync(file)) {
    if (!update) throw new Error(`no golden ${file.pathname}: run with UPDATE_GOLDENS=1 and review it`);
    mkdirSync(golden, { recursive: true });
    writeFileSync(file, text);
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const cfg = (rx: string) => `
routes:
  - name: alerts-firing
    input-files: [alertmanager-firing.rego]
    split-by: alerts
    actions: [to-firing]
    template: alertmanager
    plugins:
      unique-message-props: [fingerprint, status]
  - name: alerts-resolved
    input: |
      some a in input.alerts
      a.status == "resolved"
    split-by: alerts
    actions: [to-resolved]
    template: alertmanager
    plugins:
      unique-message-props: [fingerprint, status]
  - name: whole-group
    split-by: alerts
    input: input.receiver == "nobody"
    actions: [to-firing]
    template: alertmanager
templates:
  - name: alertmanager
    rego-package: hooker.alertmanager.markdown
actions:
  - name: to-firing
    type: webhook
    enable: true
    url: ${rx}/firing
  - name: to-resolved
    type: webhook
    enable: true
    url: ${rx}/resolved
`;

describe('split-by: one message per alert of an Alertmanager group', () => {
  let rx: Receiver;
  let server: RunningServer;
  const post = async (body: unknown) => {
    const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(202);
    return (await res.body.json()) as { eventId: string; matched: string[]; skipped: Array<{ route: string; reason: string }> };
  };
  const hits = (path: string) => rx.hits.filter((h) => h.url === path);

  beforeAll(async () => {
    rx = await receiver();
    server = await serve(tempDir(), cfg(rx.url));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await rx?.close();
  });

  it('a firing group of three alerts gives three messages, one per alert, each with its own delivery id', async () => {
    const r = await post(firing);
    expect(r.matched).toEqual(['alerts-firing']);
    await until(() => hits('/firing').length === 3);
    const got = hits('/firing');
    const ids = got.map((h) => h.headers['hooker-delivery-id']);
    expect(new Set(ids).size).toBe(3);
    // In the group's order; each body is that alert's message only.
    const byInstance = new Map(got.map((h) => [/\| instance \| (\S+) \|/.exec(h.body)![1], h.body]));
    expect([...byInstance.keys()].sort()).toEqual(['db-1:9100', 'db-2:9100', 'web-1:9100']);
    for (const [instance, body] of byInstance) {
      expect(body.match(/^## /gm)).toHaveLength(1);
      expectGolden(`firing-${instance.replace(':', '-')}.md`, body);
    }
    expect(hits('/resolved')).toEqual([]);
  });

  it('the same group posted again is dropped per alert by unique-message-props (fingerprint, status)', async () => {
    const before = rx.hits.length;
    const r = await post(firing);
    const dups = r.skipped.filter((s) => s.route === 'alerts-firing');
    expect(dups).toHaveLength(3);
    expect(dups.map((s) => s.reason)).toEqual([0, 1, 2].map((i) => expect.stringContaining(`item ${i} (alerts-firing[${i}])`)));
    await new Promise((res) => setTimeout(res, 300));
    expect(rx.hits.length).toBe(before);
  });

  it('send_resolved: the resolved alert goes to the route that asks for resolved alerts only; the firing route is not re-fired', async () => {
    const before = hits('/firing').length;
    const r = await post(oneResolved);
    expect(r.matched).toEqual(['alerts-firing', 'alerts-resolved']);
    await until(() => hits('/resolved').length === 1);
    const [resolved] = hits('/resolved');
    expect(resolved!.body).toContain('# [RESOLVED] HighMemoryLoad (web-1:9100 node warning)');
    expect(resolved!.body).toContain('## RESOLVED: Memory above 90% on web-1:9100');
    expectGolden('resolved-web-1-9100.md', resolved!.body);
    await new Promise((res) => setTimeout(res, 300));
    // db-1 and db-2 still fire (repeats, dropped); web-1 resolved is not a firing alert.
    expect(hits('/firing').length).toBe(before);
    expect(r.skipped.filter((s) => s.route === 'alerts-firing').map((s) => s.reason)).toEqual([
      expect.stringContaining('item 0'), expect.stringContaining('item 1'),
    ]);
  });

  it("../shared's webhook body (one alert, no fingerprint) gives one message, the group's fields in it", async () => {
    const before = hits('/firing').length;
    await post(shared);
    await until(() => hits('/firing').length === before + 1);
    const body = hits('/firing').at(-1)!.body;
    expect(body).toContain('Alert 1 of 1 of the notification to teams_proxy (group high_memory_load)');
    expect(body).toContain('[Alertmanager](http://docker.for.mac.host.internal:9093)');
    expectGolden('shared-webhook.md', body);
  });

  it('the deliveries API lists the runs of a split route under its name, each run named by its item', async () => {
    // Finished once the receiver has answered and the outcome is recorded.
    const deliveries = await until(async () => {
      const res = await request(`${server.httpUrl}/deliveries?route=alerts-firing&limit=100`, { headers: { authorization: 'Bearer adm' } });
      expect(res.statusCode).toBe(200);
      const list = ((await res.body.json()) as { deliveries: Array<{ route: string; state: string }> }).deliveries;
      return list.every((d) => d.state === 'succeeded') && list;
    });
    expect(deliveries.map((d) => d.route).sort()).toEqual(['alerts-firing[0]', 'alerts-firing[0]', 'alerts-firing[1]', 'alerts-firing[2]']);
    // The console's route list counts them for the route.
    const signin = await request(`${server.httpUrl}/api/ui/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'adm' }) });
    expect(signin.statusCode).toBe(200);
    await signin.body.text();
    const cookie = String(signin.headers['set-cookie']).split(';')[0]!;
    const ui = await request(`${server.httpUrl}/api/ui/routes`, { headers: { cookie } });
    expect(ui.statusCode).toBe(200);
    const { routes } = (await ui.body.json()) as { routes: Array<{ name: string; counters: Record<string, number> }> };
    expect(routes.find((r) => r.name === 'alerts-firing')!.counters['succeeded']).toBe(4);
    expect(routes.find((r) => r.name === 'alerts-resolved')!.counters['succeeded']).toBe(1);
    // The playground previews what routing would send: one message per accepted alert.
    const session = (await (await request(`${server.httpUrl}/api/ui/session`, { headers: { cookie } })).body.json()) as { csrf: string };
    const pg = await request(`${server.httpUrl}/api/ui/playground`, {
      method: 'POST', headers: { cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ event: oneResolved }),
    });
    expect(pg.statusCode).toBe(200);
    const preview = (await pg.body.json()) as { matched: Array<{ route: string; actions: Array<{ message: { body: string } }> }> };
    expect(preview.matched.map((m) => m.route)).toEqual(['alerts-firing[0]', 'alerts-firing[1]', 'alerts-resolved[2]']);
    expect(preview.matched[2]!.actions[0]!.message.body).toBe(readFileSync(new URL('resolved-web-1-9100.md', golden), 'utf8'));
  });

  it('an event without the array is one message, as without split-by; an empty array is none, said in `skipped`', async () => {
    const before = hits('/firing').length;
    // (A status neither of the Alertmanager routes accepts: only whole-group matches.)
    const whole = await post({ receiver: 'nobody', status: 'unknown' });
    expect(whole.matched).toEqual(['whole-group']);
    await until(() => hits('/firing').length === before + 1);
    const r = await post({ receiver: 'nobody', status: 'unknown', alerts: [] });
    expect(r.skipped).toContainEqual({ route: 'whole-group', reason: 'no items at "alerts" (split-by)' });
  });

  it('more items than the limit: the event is handled whole, as one message, and the answer says why', async () => {
    const before = hits('/firing').length;
    const alerts = Array.from({ length: MAX_SPLIT_ITEMS + 1 }, (_, i) => ({ status: 'unknown', labels: { alertname: 'Many', instance: `h-${i}` }, fingerprint: `f${i}` }));
    const r = await post({ receiver: 'nobody', status: 'unknown', alerts });
    expect(r.matched).toEqual(['whole-group']);
    expect(r.skipped).toContainEqual({ route: 'whole-group', reason: `split-by: ${MAX_SPLIT_ITEMS + 1} items at "alerts" are more than ${MAX_SPLIT_ITEMS}; the event is handled whole, as one message` });
    await until(() => hits('/firing').length === before + 1);
    await new Promise((res) => setTimeout(res, 300));
    const got = hits('/firing').slice(before);
    expect(got).toHaveLength(1);
    for (const h of got) expect(h.body).toContain(`${MAX_SPLIT_ITEMS + 1} alert(s), receiver nobody`);
  });
});

describe('split-by with a ReadAndWrite action', () => {
  it("each item's message is rendered again from the enriched event, for that item", async () => {
    const lookup = await receiver(() => ({ json: { owner: 'team-a' } }));
    const notify = await receiver();
    const server = await serve(tempDir(), `
routes:
  - name: per-alert
    split-by: alerts
    actions: [notify, lookup]
    template: who
templates:
  - name: who
    body: |
      package hooker.who
      import rego.v1
      title := "who"
      result := sprintf("%s: %s", [input.alerts[0].labels.instance, object.get(input, "owner", "nobody")])
actions:
  - name: lookup
    type: http
    enable: true
    kind: ReadAndWrite
    url: ${lookup.url}/owner
  - name: notify
    type: webhook
    enable: true
    url: ${notify.url}/notify
`);
    try {
      const res = await request(`${server.httpUrl}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(firing) });
      expect(res.statusCode).toBe(202);
      await until(() => notify.hits.length === 3);
      expect(lookup.hits).toHaveLength(3);
      expect(notify.hits.map((h) => h.body).sort()).toEqual(['db-1:9100: team-a', 'db-2:9100: team-a', 'web-1:9100: team-a']);
    } finally {
      await server.close();
      await lookup.close();
      await notify.close();
    }
  });
});

describe('split-by in cfg.yaml', () => {
  const check = (value: string) => validateConfigText('cfg.yaml', `routes:
  - name: r
    split-by: ${value}
    actions: [out]
    template: raw
templates:
  - name: raw
    rego-package: hooker.rawmessage.json
actions:
  - name: out
    type: stdout
    enable: true
`, { env: {}, actionTypes: actionTypes() });

  it('takes a dot path', () => {
    const r = check('report.findings');
    expect(r.problems).toEqual([]);
    expect(r.config!.routes[0]!.splitBy).toBe('report.findings');
  });

  it('refuses a value that is not a dot path, naming the line', () => {
    for (const bad of ['"alerts..x"', '[alerts]', '""']) {
      const errors = check(bad).problems.filter((p) => p.severity === 'error').map(formatProblem);
      expect(errors, bad).toEqual([expect.stringMatching(/cfg\.yaml:3.*split-by/)]);
    }
  });
});

// One message per alert, end to end: a real `hooker serve` process with
// `split-by: alerts` routes, a real HTTP receiver behind its webhook action,
// and a real Alertmanager (Debian's prometheus-alertmanager, loopback, own
// storage dir; .ci/run installs it) posting its group notifications to Hooker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startHooker, type HookerProcess } from './hooker-process.js';
import { startReceiver, type Received } from './receiver.js';
import { findBinary, freePort, startServer, type RealServer } from '../outputs/real-server.js';

const am = findBinary('/usr/bin/prometheus-alertmanager', '/usr/sbin/prometheus-alertmanager');
if (!am) console.warn('the Alertmanager part is skipped: prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run installs it)');
const firing = JSON.parse(readFileSync(new URL('../fixtures/alertmanager/group-firing.json', import.meta.url), 'utf8')) as { alerts: Array<{ fingerprint: string }> };

const cfg = (rx: string) => `
routes:
  - name: page
    input-files: [alertmanager-firing.rego]
    split-by: alerts
    actions: [to-page]
    template: alertmanager
    plugins:
      unique-message-props: [fingerprint, status]
      unique-message-timeout: 1h
  - name: all-clear
    input: |
      some a in input.alerts
      a.status == "resolved"
    split-by: alerts
    actions: [to-clear]
    template: alertmanager
    plugins:
      unique-message-props: [fingerprint, status]
templates:
  - name: alertmanager
    rego-package: hooker.alertmanager.markdown
actions:
  - name: to-page
    type: webhook
    enable: true
    url: ${rx}/page
  - name: to-clear
    type: webhook
    enable: true
    url: ${rx}/clear
`;

describe('split-by through `hooker serve`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-am-split-'));
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let hooker: HookerProcess;
  const at = (path: string) => rx.got.filter((g) => g.url === path);
  const waitAt = async (path: string, n: number, ms = 20_000) => {
    const until = Date.now() + ms;
    while (at(path).length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return at(path);
  };
  const ids = (got: Received[]) => got.map((g) => g.headers['hooker-delivery-id']);
  const post = async (body: unknown) => {
    const res = await request(`${hooker.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.statusCode).toBe(202);
    return (await res.body.json()) as { skipped: Array<{ route: string; reason: string }> };
  };

  beforeAll(async () => {
    rx = await startReceiver();
    writeFileSync(join(dir, 'cfg.yaml'), cfg(rx.url));
    hooker = await startHooker({ HOOKER_CFG: join(dir, 'cfg.yaml'), HOOKER_DB: join(dir, 'hooker.db') }, { startTimeoutMs: 90_000 });
  }, 120_000);
  afterAll(async () => {
    await hooker?.stop();
    await rx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('N alerts in one webhook give N deliveries with distinct delivery ids; the same group again gives none', async () => {
    await post(firing);
    const got = await waitAt('/page', 3);
    expect(got).toHaveLength(3);
    expect(new Set(ids(got)).size).toBe(3);
    expect(got.map((g) => /## (FIRING|RESOLVED): (.*)/.exec(g.body)![2]).sort()).toEqual(['Memory above 90% on db-1:9100', 'Memory above 90% on db-2:9100', 'Memory above 90% on web-1:9100']);
    const again = await post(firing);
    expect(again.skipped.filter((s) => s.route === 'page')).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(at('/page')).toHaveLength(3);
    expect(at('/clear')).toHaveLength(0);
  });

  describe.skipIf(!am)('posted by a real Alertmanager', () => {
    let server: RealServer;
    let amUrl = '';
    const alert = (instance: string, endsAt?: string) => ({
      labels: { alertname: 'DiskFull', job: 'node', instance },
      annotations: { summary: `Disk full on ${instance}` },
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      ...(endsAt ? { endsAt } : {}),
    });
    const send = async (alerts: unknown[]) => {
      const res = await request(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      expect(res.statusCode).toBe(200);
    };

    beforeAll(async () => {
      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      writeFileSync(join(dir, 'am.yml'), `route:
  receiver: hooker
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hooker
    webhook_configs:
      - url: ${hooker.url}/
        send_resolved: true
`);
      server = await startServer(am!, [
        `--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'am-data')}`, `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=', '--log.level=warn',
      ], async () => (await request(`${amUrl}/-/ready`)).statusCode === 200);
    }, 90_000);
    afterAll(async () => { await server?.stop(); });

    it('a group of four gives four pages; when one resolves, one all-clear and no page again', async () => {
      const pagesBefore = at('/page').length;
      const hosts = ['a-1', 'a-2', 'a-3', 'a-4'];
      await send(hosts.map((h) => alert(h)));
      const pages = (await waitAt('/page', pagesBefore + 4)).slice(pagesBefore);
      expect(pages.map((p) => /Disk full on (\S+)/.exec(p.body)![1]).sort()).toEqual(hosts);
      expect(pages.every((p) => p.body.startsWith('# [FIRING:1] DiskFull'))).toBe(true);
      expect(new Set(ids(pages)).size).toBe(4);

      await send([alert('a-3', new Date().toISOString())]);
      const [clear] = await waitAt('/clear', 1);
      expect(clear!.body).toContain('# [RESOLVED] DiskFull (a-3 node)');
      expect(clear!.body).toContain('## RESOLVED: Disk full on a-3');
      // Alertmanager's notification still carried the three firing alerts: dropped as repeats, not paged again.
      await new Promise((r) => setTimeout(r, 2_500));
      expect(at('/page')).toHaveLength(pagesBefore + 4);
      expect(at('/clear')).toHaveLength(1);
    }, 60_000);
  });
});

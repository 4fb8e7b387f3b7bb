// The alertmanager output against a real Alertmanager (Debian's
// prometheus-alertmanager, started on loopback with its own storage dir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { build, deliver } from './peer.js';
import { alertmanagerAction } from '../../src/actions/outputs/alertmanager.js';
import { findBinary, freePort, startServer, type RealServer } from './real-server.js';

const bin = findBinary('/usr/bin/prometheus-alertmanager', '/usr/sbin/prometheus-alertmanager');
const trivy = JSON.parse(readFileSync(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url), 'utf8'));
if (!bin) console.warn('alertmanager tests skipped: prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager; .ci/run installs it)');

interface AmAlert { labels: Record<string, string>; annotations: Record<string, string>; endsAt: string; status: { state: string } }

describe.skipIf(!bin)('alertmanager (real prometheus-alertmanager)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-am-'));
  let server: RealServer;
  let url = '';
  const alerts = async (): Promise<AmAlert[]> => (await (await request(`${url}/api/v2/alerts`)).body.json()) as AmAlert[];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'am.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
    server = await startServer(bin!, [
      `--config.file=${join(dir, 'am.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', '--log.level=warn',
    ], async () => (await request(`${url}/-/ready`)).statusCode === 200);
  }, 90_000);
  afterAll(async () => { await server?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('a Trivy message becomes an active alert named by its title, with the action\'s labels', async () => {
    const r = await deliver(build(alertmanagerAction, { url, labels: { team: 'sec' } }), { title: 'TrivyVulnerabilities', body: JSON.stringify(trivy), url: 'https://hooker.example/e/1' });
    expect(r).toMatchObject({ ok: true });
    const got = (await alerts()).find((a) => a.labels.alertname === 'TrivyVulnerabilities')!;
    expect(got.labels).toMatchObject({ team: 'sec', route: 'route-1' });
    expect(got.status.state).toBe('active');
    expect(got.annotations.summary).toBe('TrivyVulnerabilities');
  });

  it('labels and annotations from a JSON template; status resolved ends the alert', async () => {
    const a = build(alertmanagerAction, { url });
    const body = { labels: { alertname: 'ContainerDrift', severity: 'critical', pod: 'web-1' }, annotations: { summary: 'drift in web-1' } };
    expect((await deliver(a, { title: 'x', body: JSON.stringify(body) })).ok).toBe(true);
    const active = (await alerts()).find((x) => x.labels.alertname === 'ContainerDrift')!;
    expect(active.labels).toMatchObject({ severity: 'critical', pod: 'web-1' });
    expect(active.annotations).toEqual({ summary: 'drift in web-1' });
    expect((await deliver(a, { title: 'x', body: JSON.stringify({ ...body, status: 'resolved' }) })).ok).toBe(true);
    const after = (await alerts()).find((x) => x.labels.alertname === 'ContainerDrift');
    expect(after === undefined || Date.parse(after.endsAt) <= Date.now()).toBe(true);
  });

  it("an alert Alertmanager refuses (ends before it starts) is dead at once with Alertmanager's reason", async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const r = await deliver(build(alertmanagerAction, { url }), { title: 'x', body: JSON.stringify({ labels: { alertname: 'Bad' }, startsAt: future, status: 'resolved' }) });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toMatch(/Alertmanager answered 400/);
  });
});

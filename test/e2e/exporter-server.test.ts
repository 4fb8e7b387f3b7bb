// The cluster exporter switched on in a real server (HOOKER_CLUSTER_SCANNER)
// against the fake apiserver: a running pod's image is scanned by the
// configured scanner (a local `cat` of the shared Trivy fixture, standing in
// for trivy) and /metrics shows pod_security_issue series for it.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { RunningServer } from '../../src/server/server.js';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { serve, tempDir, until } from './server-harness.js';

const FIXTURE = fileURLToPath(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url));

let api: FakeApiserver | undefined;
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  await api?.close();
});

describe('pod_security_issue on /metrics', () => {
  it('scans the images of running pods and exports one series per vulnerability', async () => {
    api = await startFakeApiserver();
    const image = 'registry.example/team/webapp:1.2';
    api.seed('pods', {
      metadata: { name: 'web-1', namespace: 'shop' },
      spec: { containers: [{ name: 'app', image }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', image, imageID: `registry.example/team/webapp@sha256:${'a'.repeat(64)}`, ready: true, state: { running: {} } }] },
    });
    server = await serve(tempDir(), `
routes: []
templates: []
actions: []
scanners:
  fixture:
    runner: exec
    command: [cat, ${JSON.stringify(FIXTURE)}]
    format: trivy
`, { HOOKER_CLUSTER_SCANNER: 'fixture', KUBECONFIG: api.writeKubeconfig(), SCAN_INTERVAL: '3600' });

    const metrics = await until(async () => {
      const res = await request(`${server!.httpUrl}/metrics`);
      const text = await res.body.text();
      return text.includes('pod_security_issue{') ? text : undefined;
    }, 20_000);
    const lines = metrics.split('\n').filter((l) => l.startsWith('pod_security_issue{'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('PodName="web-1"') && l.includes('Namespace="shop"') && l.includes('IsPublic="false"'))).toBe(true);
    expect(lines.some((l) => l.includes('VulnerabilityID="CVE-2019-17571"') && l.includes('Severity="CRITICAL"'))).toBe(true);
  }, 60_000);
});

// The kubernetes-job runner against the fake apiserver. The test plays the
// Job controller and kubelet: when Hooker polls the Job, it is marked done,
// its pod exists and the pod's log holds a fixture report.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { makeService, scanConfigFrom, type Harness } from './support/harness.js';

const TRIVY = readFileSync(new URL('../../../shared/fixtures/postee-trivy-input.json', import.meta.url), 'utf8');
let api: FakeApiserver;
let h: Harness;

beforeAll(async () => {
  api = await startFakeApiserver();
  api.beforeServe = (r) => {
    const m = /\/apis\/batch\/v1\/namespaces\/scans\/jobs\/([^/]+)$/.exec(r.path);
    if (r.method !== 'GET' || !m) return;
    const job = api.store.get('jobs', 'scans', m[1]!);
    if (!job || job.status) return;
    const args = ((job.spec as any).template.spec.containers[0].args as string[]);
    const failed = args.includes('example.org/crash:1');
    api.store.write('jobs', { ...job, status: failed ? { failed: 1 } : { succeeded: 1 } });
    const pod = `${m[1]}-x1`;
    api.seed('pods', { metadata: { name: pod, namespace: 'scans', labels: { 'job-name': m[1]! } }, spec: { containers: [{ name: 'scanner', image: 'scanner' }] }, status: { phase: failed ? 'Failed' : 'Succeeded' } });
    api.podLogs.set(`scans/${pod}`, failed ? 'FATAL cannot reach registry\n' : TRIVY);
  };
  h = makeService(scanConfigFrom(`
scanners:
  job:
    runner: kubernetes-job
    image: aquasec/trivy:0.50.0
    args: [image, --format, json, "{image}"]
    namespace: scans
    kube-config-file: ${api.writeKubeconfig()}
    format: trivy
    timeout: 10s
`), {});
  await h.service.start();
});
afterAll(async () => {
  await h?.service.stop();
  h?.db.close();
  await api?.close();
});

describe('kubernetes-job runner', () => {
  it('runs the scanner as a Job, reads the report from the pod log and deletes the Job', async () => {
    const { id } = await h.service.submit({ scanner: 'job', target: { image: 'example.org/webapp:1' } });
    expect(await h.service.waitFor(id, 10_000)).toMatchObject({ state: 'passed' });
    expect((await h.service.outcome(id))!.report.findings).toHaveLength(7);
    const created = api.requests.find((r) => r.method === 'POST' && r.path === '/apis/batch/v1/namespaces/scans/jobs')!.body as any;
    expect(created.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 10 });
    expect(created.spec.template.spec.containers[0]).toMatchObject({ image: 'aquasec/trivy:0.50.0', args: ['image', '--format', 'json', 'example.org/webapp:1'] });
    expect(created.metadata.labels['app.kubernetes.io/managed-by']).toBe('hooker');
    expect(api.store.list('jobs', 'scans')).toEqual([]);
  });

  it('a failed Job whose log is no report ends the scan in error, and the Job is deleted', async () => {
    const { id } = await h.service.submit({ scanner: 'job', target: { image: 'example.org/crash:1' } });
    expect(await h.service.waitFor(id, 10_000)).toMatchObject({ state: 'error', error: expect.stringContaining('not JSON') });
    expect(api.store.list('jobs', 'scans')).toEqual([]);
  });
});

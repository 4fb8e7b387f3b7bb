// The least-privilege container scan against the fake apiserver, which
// enforces RBAC for the tokens it issues. The scanner is a test stand-in for
// cinc-auditor (test/scan/support/probe-scanner.mjs) that uses the temporary
// kubeconfig to show what it may and may not do.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { makeService, scanConfigFrom, type Harness } from './support/harness.js';

const PROBE = new URL('./support/probe-scanner.mjs', import.meta.url).pathname;
const NS = 'shop';

let api: FakeApiserver;
let dir: string;
let h: Harness;
let probeOut: string;

const running = (name: string, phase = 'Running') => ({
  metadata: { name, namespace: NS, labels: { app: name } },
  spec: { containers: [{ name: 'app', image: `registry.example/${name}:1` }] },
  status: { phase, containerStatuses: [{ name: 'app', ready: phase === 'Running', state: phase === 'Running' ? { running: { startedAt: '2024-01-01T00:00:00Z' } } : { waiting: { reason: 'ContainerCreating' } } }] },
});

function leftovers(): string[] {
  return ['serviceaccounts', 'roles', 'rolebindings'].flatMap((r) => api.store.list(r).filter((o) => o.metadata.name.startsWith('hooker-scan-')).map((o) => `${r}/${o.metadata.name}`));
}

function hookerWrites(): string[] {
  return api.mutations().filter((r) => r.user === 'system:serviceaccount:hooker:hooker').map((r) => `${r.method} ${r.path.replace(/hooker-scan-[a-z0-9]+/, 'NAME')}`);
}

beforeAll(async () => {
  api = await startFakeApiserver();
  dir = mkdtempSync(join(tmpdir(), 'hooker-kexec-'));
  probeOut = join(dir, 'probe.json');
  api.seed('pods', running('web'));
  api.seed('pods', running('db'));
  api.seed('pods', running('starting', 'Pending'));
  api.seed('secrets', { metadata: { name: 'db-password', namespace: NS }, data: { password: 'c2VjcmV0' } } as never);
  // What a crashed earlier run left behind: the sweep at start removes it.
  const labels = { 'app.kubernetes.io/managed-by': 'hooker', 'io.hooker/component': 'scan' };
  api.seed('serviceaccounts', { metadata: { name: 'hooker-scan-crashed', namespace: NS, labels } });
  api.seed('roles', { metadata: { name: 'hooker-scan-crashed', namespace: NS, labels }, rules: [] } as never);
  api.seed('rolebindings', { metadata: { name: 'hooker-scan-crashed', namespace: NS, labels }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'hooker-scan-crashed' }, subjects: [] } as never);
  const config = scanConfigFrom(`
scanners:
  cinc:
    runner: kubernetes-exec
    command: [${process.execPath}, ${PROBE}, exec, "{profile}", -t, "k8s-container://{namespace}/{pod}/{container}", --reporter, json]
    kube-config-file: ${api.writeKubeconfig()}
    env: {PROBE_OUT: ${probeOut}}
    token-expiration: 10m
    format: inspec
    timeout: 15s
profiles:
  baseline: baseline
  broken: crash
  slow: hang
thresholds:
  half: {compliance: {min: 50}}
`);
  h = makeService(config, {});
  await h.service.start();
});

afterAll(async () => {
  await h?.service.stop();
  h?.db.close();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  api.requests.length = 0;
  rmSync(probeOut, { force: true });
});

describe('kubernetes-exec least-privilege workflow', () => {
  it('swept what an earlier crash left behind at start', () => {
    expect(h.logs.some((l) => /swept 3 object/.test(l))).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('creates exactly SA, Role, RoleBinding and token; the scanner can do only what the Role allows; nothing is left', async () => {
    const { id } = await h.service.submit({ scanner: 'cinc', target: { pod: { namespace: NS, name: 'web', container: 'app' } }, profile: 'baseline', threshold: 'half' });
    const rec = await h.service.waitFor(id, 20_000);
    expect(rec).toMatchObject({ state: 'passed' });
    expect((await h.service.outcome(id))!.threshold).toMatchObject({ compliance: 75, passed: true });

    expect(hookerWrites()).toEqual([
      `POST /api/v1/namespaces/${NS}/serviceaccounts`,
      `POST /apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`,
      `POST /apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
      `POST /api/v1/namespaces/${NS}/serviceaccounts/NAME/token`,
      `DELETE /apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings/NAME`,
      `DELETE /apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles/NAME`,
      `DELETE /api/v1/namespaces/${NS}/serviceaccounts/NAME`,
    ]);
    const role = api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/roles'))!.body as { rules: unknown[]; metadata: { labels: Record<string, string> } };
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: ['web'] },
      { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], resourceNames: ['web'] },
    ]);
    expect(role.metadata.labels['app.kubernetes.io/managed-by']).toBe('hooker');
    const tokenRequest = api.requests.find((r) => r.path.endsWith('/token'))!.body as { spec: { expirationSeconds: number } };
    expect(tokenRequest.spec.expirationSeconds).toBe(600);

    const probe = JSON.parse(readFileSync(probeOut, 'utf8'));
    expect(probe.args.slice(0, 2)).toEqual(['exec', 'baseline']);
    expect([probe.namespace, probe.pod, probe.container]).toEqual([NS, 'web', 'app']);
    expect(probe.kubeconfigMode).toBe('600');
    expect(probe.kubeconfigUsers).toBe(1);
    expect(probe.getTarget.status).toBe(200);
    expect(probe.listSecrets).toMatchObject({ status: 403, message: expect.stringContaining('cannot list resource "secrets"') });
    expect(probe.getOtherPod.status).toBe(403);
    expect(probe.listPods.status).toBe(403);
    expect(probe.execTarget).toMatchObject({ status: 400, message: 'Upgrade request required' }); // authorized; a real client would upgrade

    expect(existsSync(probe.kubeconfigPath)).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(api.tokens.liveBoundTokens()).toBe(0);
  });

  it('cleans up after a failing scanner', async () => {
    const { id } = await h.service.submit({ scanner: 'cinc', target: { pod: { namespace: NS, name: 'web' } }, profile: 'broken' });
    const rec = await h.service.waitFor(id, 20_000);
    expect(rec).toMatchObject({ state: 'error', error: expect.stringContaining('exited with code 2') });
    expect(hookerWrites().filter((w) => w.startsWith('DELETE'))).toHaveLength(3);
    expect(existsSync(JSON.parse(readFileSync(probeOut, 'utf8')).kubeconfigPath)).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(api.tokens.liveBoundTokens()).toBe(0);
  });

  it('cleans up after a timed-out scanner', async () => {
    const { id } = await h.service.submit({ scanner: 'cinc', target: { pod: { namespace: NS, name: 'web' } }, profile: 'slow', timeoutMs: 1500 });
    const rec = await h.service.waitFor(id, 20_000);
    expect(rec).toMatchObject({ state: 'error', error: expect.stringContaining('timed out after 1500 ms') });
    expect(hookerWrites().filter((w) => w.startsWith('DELETE'))).toHaveLength(3);
    expect(leftovers()).toEqual([]);
    expect(api.tokens.liveBoundTokens()).toBe(0);
  });

  it('creates nothing for a pod that is not running or does not exist', async () => {
    const a = await h.service.submit({ scanner: 'cinc', target: { pod: { namespace: NS, name: 'starting' } }, profile: 'baseline' });
    const b = await h.service.submit({ scanner: 'cinc', target: { pod: { namespace: NS, name: 'ghost' } }, profile: 'baseline' });
    expect(await h.service.waitFor(a.id)).toMatchObject({ state: 'error', error: `pod ${NS}/starting is Pending, not Running` });
    expect(await h.service.waitFor(b.id)).toMatchObject({ state: 'error', error: `pod ${NS}/ghost does not exist` });
    expect(hookerWrites()).toEqual([]);
  });
});

// The pod_security_issue exporter against a fake cluster (pods, services,
// endpoints, endpoint slices, ingresses, pull secrets) served by the fake
// apiserver. Image scans are answered from the shared fixture reports by
// repository name (the docker runner itself is tested in test/actions).

import { readFileSync } from 'node:fs';
// The server's own copy of the client (src/lazy-libraries.ts), so its error classes are the ones the exporter checks.
import { kubernetesClient } from '../../src/lazy-libraries.js';
const { CoreV1Api, DiscoveryV1Api, KubeConfig, NetworkingV1Api } = kubernetesClient();
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterExporter, scanIntervalMs } from '../../src/scan/exporter.js';
import { normalizeReport } from '../../src/scan/normalize/index.js';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { REPORTS } from './support/scanner-image.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8'));
const digest = (c: string) => `sha256:${c.repeat(64)}`;

let api: FakeApiserver;
const scans: Array<{ image: string; auth?: string }> = [];
const logs: string[] = [];
let registry: Registry;
let exporter: ClusterExporter;
let clock = 1_000_000;

function pod(ns: string, name: string, image: string, imageDigest: string, extra: { pullSecrets?: string[]; phase?: string; owner?: { kind: string; name: string } } = {}) {
  api.seed('pods', {
    metadata: { name, namespace: ns, ...(extra.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: extra.owner.kind, name: extra.owner.name, uid: 'u', controller: true }] } : {}) },
    spec: { containers: [{ name: 'app', image }], ...(extra.pullSecrets ? { imagePullSecrets: extra.pullSecrets.map((n) => ({ name: n })) } : {}) },
    status: { phase: extra.phase ?? 'Running', containerStatuses: [{ name: 'app', image, imageID: `${image.split(':')[0]}@${imageDigest}`, ready: true, state: { running: {} } }] },
  });
}

type Sample = { labels: Record<string, string>; value: number };
async function series(): Promise<Sample[]> {
  const m = (await registry.getSingleMetric('pod_security_issue')!.get()) as { values: Sample[] };
  return m.values;
}

beforeAll(async () => {
  api = await startFakeApiserver();
  pod('shop', 'web-1', 'registry.example/team/webapp:1.2', digest('a'), { owner: { kind: 'ReplicaSet', name: 'web-abc' } });
  pod('shop', 'web-2', 'registry.example/team/webapp:latest', digest('a')); // same digest, other tag
  pod('shop', 'worker', 'registry.example/team/nginx:1.16', digest('b'));
  pod('shop', 'private', 'private.example/team/webapp:2', digest('c'), { pullSecrets: ['regcred'] });
  pod('shop', 'no-secret', 'private.example/team/nginx:9', digest('d'), { pullSecrets: ['gone'] });
  pod('shop', 'no-key', 'private.example/team/compliance:1', digest('e'), { pullSecrets: ['opaque'] });
  pod('shop', 'starting', 'registry.example/team/wordpress:6', digest('f'), { phase: 'Pending' });
  pod('blog', 'wp-1', 'registry.example/team/nginx:1.16', digest('b'));
  const dockercfg = JSON.stringify({ auths: { 'private.example': { auth: Buffer.from('robot:s3cret').toString('base64') } } });
  api.seed('secrets', { metadata: { name: 'regcred', namespace: 'shop' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(dockercfg).toString('base64') } } as never);
  api.seed('secrets', { metadata: { name: 'opaque', namespace: 'shop' }, type: 'Opaque', data: { token: 'eA==' } } as never);
  // shop/web is behind an Ingress through Endpoints; shop/worker has a Service but no Ingress.
  api.seed('services', { metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } as never);
  api.seed('endpoints', { metadata: { name: 'web', namespace: 'shop' }, subsets: [{ addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'web-1', namespace: 'shop' } }, { ip: '10.0.0.2', targetRef: { kind: 'Pod', name: 'web-2', namespace: 'shop' } }] }] } as never);
  api.seed('services', { metadata: { name: 'worker', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } } as never);
  api.seed('endpoints', { metadata: { name: 'worker', namespace: 'shop' }, subsets: [{ addresses: [{ ip: '10.0.0.3', targetRef: { kind: 'Pod', name: 'worker', namespace: 'shop' } }] }] } as never);
  api.seed('ingresses', { metadata: { name: 'shop', namespace: 'shop' }, spec: { rules: [{ host: 'shop.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } } as never);
  // blog/wp is exposed through EndpointSlices only.
  api.seed('ingresses', { metadata: { name: 'blog', namespace: 'blog' }, spec: { defaultBackend: { service: { name: 'wp', port: { number: 80 } } } } } as never);
  api.seed('endpointslices', { metadata: { name: 'wp-x1', namespace: 'blog', labels: { 'kubernetes.io/service-name': 'wp' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.1.1'], targetRef: { kind: 'Pod', name: 'wp-1', namespace: 'blog' } }] } as never);

  const kc = new KubeConfig();
  kc.loadFromFile(api.writeKubeconfig());
  registry = new Registry();
  exporter = new ClusterExporter({
    core: kc.makeApiClient(CoreV1Api), networking: kc.makeApiClient(NetworkingV1Api), discovery: kc.makeApiClient(DiscoveryV1Api),
    registry, intervalMs: 60_000, now: () => clock, log: (l) => logs.push(l),
    scanImage: async (image, auth) => {
      scans.push({ image, auth });
      const repo = image.split('/').pop()!.split(':')[0]!;
      return normalizeReport(fixture(REPORTS[repo]!));
    },
  });
});
afterAll(async () => api?.close());

describe('cluster exporter', () => {
  it('exports pod_security_issue per pod and vulnerability, IsPublic from Ingress -> Service -> Endpoints/EndpointSlices', async () => {
    await exporter.runOnce();
    const s = await series();
    const pods = (name: string) => s.filter((x) => x.labels.PodName === name);
    expect(pods('web-1')).toHaveLength(7);
    expect(pods('web-1').every((x) => x.labels.IsPublic === 'true' && x.value === 1)).toBe(true);
    expect(pods('web-2').every((x) => x.labels.IsPublic === 'true')).toBe(true);
    expect(pods('worker').every((x) => x.labels.IsPublic === 'false')).toBe(true);
    expect(pods('wp-1').every((x) => x.labels.IsPublic === 'true')).toBe(true);
    expect(pods('worker')).toHaveLength(5); // the VulnerabilityReport fixture lists 5
    expect(pods('web-1').find((x) => x.labels.VulnerabilityID === 'CVE-2019-17571')!.labels).toEqual({
      PodName: 'web-1', Namespace: 'shop', Image: 'registry.example/team/webapp:1.2', IsPublic: 'true', BaseOS: 'unknown',
      VulnerabilityID: 'CVE-2019-17571', PkgName: 'log4j:log4j', InstalledVersion: '1.2.17', FixedVersion: '2.0-alpha1', Severity: 'CRITICAL',
    });
    expect(pods('private')).toHaveLength(7);
    expect(pods('starting')).toEqual([]);
  });

  it('scans each distinct digest once, with the pull secret credentials; skips images whose secret or key is missing', async () => {
    expect(scans.map((x) => x.image).sort()).toEqual(['private.example/team/webapp:2', 'registry.example/team/nginx:1.16', 'registry.example/team/webapp:1.2']);
    const priv = scans.find((x) => x.image.startsWith('private.example'))!;
    expect(JSON.parse(priv.auth!).auths['private.example'].auth).toBe(Buffer.from('robot:s3cret').toString('base64'));
    expect(scans.filter((x) => !x.image.startsWith('private')).every((x) => x.auth === undefined)).toBe(true);
    expect(logs).toContainEqual(expect.stringMatching(/skipping image private\.example\/team\/nginx:9 of pod shop\/no-secret: secret shop\/gone not found/));
    expect(logs).toContainEqual(expect.stringMatching(/skipping image private\.example\/team\/compliance:1 of pod shop\/no-key: secret shop\/opaque has no \.dockerconfigjson key/));
    const skipped = (await registry.getSingleMetric('hooker_cluster_scan_skipped_total')!.get()).values;
    expect(skipped.reduce((n, v) => n + v.value, 0)).toBe(2);
    expect((await series()).some((x) => ['no-secret', 'no-key'].includes(x.labels.PodName!))).toBe(false);
  });

  it('removes the series of pods that are gone and does not rescan within the interval', async () => {
    api.store.remove('pods', 'shop', 'web-2');
    await exporter.runOnce();
    expect((await series()).some((x) => x.labels.PodName === 'web-2')).toBe(false);
    expect((await series()).filter((x) => x.labels.PodName === 'web-1')).toHaveLength(7);
    expect(scans).toHaveLength(3);
    clock += 60_000;
    await exporter.runOnce();
    expect(scans).toHaveLength(6);
  });

  it('feeds the same series from a trivy-operator VulnerabilityReport event', async () => {
    pod('default', 'nginx-6d4cf56db6-x7k2p', 'nginx:1.16', digest('9'), { owner: { kind: 'ReplicaSet', name: 'nginx-6d4cf56db6' } });
    expect(await exporter.applyVulnerabilityReport(fixture('postee-trivy-operator-input.json'))).toBe(1);
    const s = (await series()).filter((x) => x.labels.PodName === 'nginx-6d4cf56db6-x7k2p');
    expect(s.map((x) => x.labels.VulnerabilityID)).toContain('CVE-2019-20367');
    expect(s[0]!.labels).toMatchObject({ Namespace: 'default', Image: 'index.docker.io/library/nginx:1.16', Severity: 'CRITICAL', PkgName: 'libbsd0' });
  });

  it('reads SCAN_INTERVAL in seconds', () => {
    expect(scanIntervalMs({})).toBe(43_200_000);
    expect(scanIntervalMs({ SCAN_INTERVAL: '60' })).toBe(60_000);
    expect(() => scanIntervalMs({ SCAN_INTERVAL: 'soon' })).toThrow(/SCAN_INTERVAL/);
  });
});

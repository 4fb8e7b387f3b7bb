// The fake apiserver itself, driven through @kubernetes/client-node from a
// kubeconfig file as production does.

import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, ApiException } from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { denying, allowAll, startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { matches, parseSelector } from '../support/fake-apiserver/selector.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../support/fake-apiserver/patch.js';

let api: FakeApiserver;
let core: CoreV1Api;
let apps: AppsV1Api;
let net: NetworkingV1Api;

function clients(kubeconfig: string): { core: CoreV1Api; apps: AppsV1Api; net: NetworkingV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), net: kc.makeApiClient(NetworkingV1Api) };
}

async function failure(p: Promise<unknown>): Promise<{ code: number; status: { kind: string; reason: string; message: string; code: number; details?: { causes?: unknown[] } } }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiException);
    const ex = e as ApiException<string>;
    // client-node drops the body of 401 answers (its generated code knows no schema for them).
    return { code: ex.code, status: ex.body === undefined ? { kind: 'none', reason: '', message: '', code: ex.code } : JSON.parse(ex.body) };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  api = await startFakeApiserver();
  ({ core, apps, net } = clients(api.writeKubeconfig()));
});
afterAll(async () => api.close());

beforeEach(() => {
  api.authorizer = allowAll;
  for (const p of api.store.list('pods')) api.store.remove('pods', p.metadata.namespace, p.metadata.name);
  api.seed('pods', { metadata: { name: 'web-1', labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } });
  api.seed('pods', { metadata: { name: 'web-2', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } });
  api.seed('pods', { metadata: { name: 'db-1', labels: { app: 'db', tier: 'back' } }, spec: { containers: [{ name: 'c', image: 'postgres:16' }] } });
  api.seed('pods', { metadata: { name: 'other', namespace: 'prod', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } });
});

describe('fake apiserver over HTTPS with client-node', () => {
  it('serves over TLS verified against the kubeconfig CA', () => {
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lists by namespace and label selector', async () => {
    const names = async (labelSelector?: string, namespace = 'default') =>
      (await core.listNamespacedPod({ namespace, labelSelector })).items.map((p) => p.metadata!.name).sort();
    expect(await names()).toEqual(['db-1', 'web-1', 'web-2']);
    expect(await names('app=web')).toEqual(['web-1', 'web-2']);
    expect(await names('app==web,tier')).toEqual(['web-1']);
    expect(await names('app!=web')).toEqual(['db-1']);
    expect(await names('tier in (front, back)')).toEqual(['db-1', 'web-1']);
    expect(await names('app notin (db)')).toEqual(['web-1', 'web-2']);
    expect(await names('!tier')).toEqual(['web-2']);
    expect(await names('app=web', 'prod')).toEqual(['other']);
  });

  it('answers 400 with a Status for a bad selector', async () => {
    for (const bad of ['app=', 'app in ()', 'app in (a', 'a b', '=x', 'app=web,', 'bad key!=x', `app=${'x'.repeat(64)}`]) {
      if (bad === 'app=') continue; // an empty value is legal
      const f = await failure(core.listNamespacedPod({ namespace: 'default', labelSelector: bad }));
      expect(f.code, bad).toBe(400);
      expect(f.status).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    }
  });

  it('401 without a valid bearer token, 403 when the authorizer refuses', async () => {
    const stranger = clients(api.writeKubeconfig({ token: 'wrong' }));
    expect((await failure(stranger.core.listNamespacedPod({ namespace: 'default' }))).code).toBe(401);
    api.authorizer = denying('delete pods');
    const f = await failure(core.deleteNamespacedPod({ name: 'web-1', namespace: 'default' }));
    expect(f.code).toBe(403);
    expect(f.status.message).toBe('pods "web-1" is forbidden: User "system:serviceaccount:hooker:hooker" cannot delete resource "pods" in API group "" in the namespace "default"');
    expect(api.store.get('pods', 'default', 'web-1')).toBeDefined();
  });

  it('applies merge, strategic merge and JSON patches by content type; 415 otherwise', async () => {
    await core.patchNamespacedPod({ name: 'web-1', namespace: 'default', body: { metadata: { labels: { risk: 'high', tier: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(api.store.get('pods', 'default', 'web-1')!.metadata.labels).toEqual({ app: 'web', risk: 'high' });

    await core.patchNamespacedPod({ name: 'web-1', namespace: 'default', body: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    expect((api.store.get('pods', 'default', 'web-1')!.spec as { containers: unknown[] }).containers).toEqual([{ name: 'c', image: 'nginx:1.26' }]);

    await core.patchNamespacedPod({ name: 'web-1', namespace: 'default', body: [{ op: 'add', path: '/metadata/annotations', value: { 'a/b': 'c' } }] });
    expect(api.store.get('pods', 'default', 'web-1')!.metadata.annotations).toEqual({ 'a/b': 'c' });

    const f = await failure(core.patchNamespacedPod({ name: 'web-1', namespace: 'default', body: {} }, setHeaderOptions('Content-Type', 'application/json')));
    expect(f.code).toBe(415);
    expect(f.status.reason).toBe('UnsupportedMediaType');
  });

  it('409 Conflict when a patch or update carries a stale resourceVersion', async () => {
    const pod = await core.readNamespacedPod({ name: 'web-2', namespace: 'default' });
    const rv = pod.metadata!.resourceVersion!;
    await core.patchNamespacedPod({ name: 'web-2', namespace: 'default', body: { metadata: { resourceVersion: rv, labels: { a: '1' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const stale = await failure(core.patchNamespacedPod({ name: 'web-2', namespace: 'default', body: { metadata: { resourceVersion: rv, labels: { a: '2' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe('Conflict');
    const upd = await failure(core.replaceNamespacedPod({ name: 'web-2', namespace: 'default', body: { ...pod, metadata: { ...pod.metadata, labels: {} } } }));
    expect(upd.code).toBe(409);
    expect(api.store.get('pods', 'default', 'web-2')!.metadata.labels).toEqual({ app: 'web', a: '1' });
  });

  it('422 Invalid with causes for labels Kubernetes rejects', async () => {
    const f = await failure(core.patchNamespacedPod({ name: 'web-1', namespace: 'default', body: { metadata: { labels: { cve: 'CVE 2024/1', 'bad key': 'x' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    expect(f.code).toBe(422);
    expect(f.status.reason).toBe('Invalid');
    expect(f.status.details?.causes).toHaveLength(2);
    expect(api.store.get('pods', 'default', 'web-1')!.metadata.labels).toEqual({ app: 'web', tier: 'front' });
  });

  it('dryRun=All validates and answers but stores nothing', async () => {
    const rv = api.store.get('pods', 'default', 'web-1')!.metadata.resourceVersion;
    const out = await core.patchNamespacedPod({ name: 'web-1', namespace: 'default', dryRun: 'All', body: { metadata: { labels: { x: 'y' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(out.metadata!.labels).toMatchObject({ x: 'y' });
    await core.deleteNamespacedPod({ name: 'web-1', namespace: 'default', dryRun: 'All' });
    const stored = api.store.get('pods', 'default', 'web-1')!;
    expect(stored.metadata.labels).not.toHaveProperty('x');
    expect(stored.metadata.resourceVersion).toBe(rv);
  });

  it('deletes pods; 404 with a Status afterwards', async () => {
    await core.deleteNamespacedPod({ name: 'db-1', namespace: 'default' });
    const f = await failure(core.readNamespacedPod({ name: 'db-1', namespace: 'default' }));
    expect(f.code).toBe(404);
    expect(f.status).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'pods "db-1" not found' });
  });

  it('creates NetworkPolicies and Deployments; 409 AlreadyExists on a second create', async () => {
    const np = { metadata: { name: 'deny', labels: { 'app.kubernetes.io/managed-by': 'hooker' } }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] } };
    const created = await net.createNamespacedNetworkPolicy({ namespace: 'default', body: np });
    expect(created.metadata!.uid).toBeTruthy();
    const again = await failure(net.createNamespacedNetworkPolicy({ namespace: 'default', body: np }));
    expect(again).toMatchObject({ code: 409, status: { reason: 'AlreadyExists' } });
    const bad = await failure(net.createNamespacedNetworkPolicy({ namespace: 'default', body: { metadata: { name: 'x' }, spec: { podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } } } }));
    expect(bad.code).toBe(422);

    await apps.createNamespacedDeployment({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } } } });
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: { metadata: { labels: { risk: 'high' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect((await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' })).metadata!.labels).toEqual({ risk: 'high' });
  });
});

describe('fake apiserver building blocks', () => {
  it('selector matching follows apimachinery semantics', () => {
    expect(matches(parseSelector('a!=x'), {})).toBe(true);
    expect(matches(parseSelector('a notin (x)'), {})).toBe(true);
    expect(matches(parseSelector('a in (x)'), {})).toBe(false);
    expect(matches(parseSelector('n>3'), { n: '4' })).toBe(true);
    expect(matches(parseSelector(''), { a: 'b' })).toBe(true);
    expect(() => parseSelector('a in (x,,')).toThrow();
  });

  it('patches follow their RFCs', () => {
    expect(mergePatch({ a: { b: 1, c: 2 } }, { a: { b: null, d: 3 } })).toEqual({ a: { c: 2, d: 3 } });
    expect(jsonPatch({ a: [1, 2] }, [{ op: 'add', path: '/a/-', value: 3 }, { op: 'remove', path: '/a/0' }, { op: 'copy', from: '/a', path: '/b' }])).toEqual({ a: [2, 3], b: [2, 3] });
    expect(() => jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow(/test failed/);
    expect(strategicMergePatch({ spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }] } },
      { spec: { containers: [{ name: 'b', image: '2' }, { name: 'a', $patch: 'delete' }] } })).toEqual({ spec: { containers: [{ name: 'b', image: '2' }] } });
  });
});

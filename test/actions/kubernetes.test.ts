// The kubernetes action against the fake apiserver, through client-node and a
// kubeconfig file as in production.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kubernetesAction } from '../../src/actions/kubernetes.js';
import type { Action, DeliveryContext, DeliveryResult } from '../../src/actions/types.js';
import { parseAllDocuments } from 'yaml';
import { allowAll, allowingRules, denying, startFakeApiserver, type PolicyRule, type FakeApiserver, type KubeObject } from '../support/fake-apiserver/index.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

// A Tracker TRC-2 detection in pod shop/web-1 (the TRC-1 fixture, re-signed and placed in a pod).
const trc1 = fixture('tracee-trc1-finding.json');
const trc2 = {
  ...trc1,
  SigMetadata: { ...(trc1.SigMetadata as object), ID: 'TRC-2', Name: 'Anti-Debugging', Description: 'Process uses anti-debugging technique to block debugger' },
  Context: { ...(trc1.Context as object), kubernetes: { podName: 'web-1', podNamespace: 'shop', labels: { app: 'web', instance: 'web-1' } } },
};
// A Trivy image scan naming the vulnerable image.
const trivyScan = { ...fixture('postee-trivy-input.json'), ArtifactName: 'nginx:1.25', ArtifactType: 'container_image' };

let api: FakeApiserver;
let kubeconfig: string;

function build(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Action {
  const { action, problems } = kubernetesAction.create({ name: 'respond', type: 'kubernetes', 'kube-config-file': kubeconfig, ...config }, env);
  expect(problems).toEqual([]);
  return action!;
}

async function deliver(action: Action, event: unknown): Promise<DeliveryResult & { log: string[] }> {
  const log: string[] = [];
  const ctx: DeliveryContext = {
    deliveryId: 'd1', eventId: 'e1', routeName: 'route', event, message: { title: '', body: '' }, hops: 0,
    signal: new AbortController().signal, log: (l) => log.push(l),
  };
  return { ...(await action.deliver(ctx)), log };
}

const pod = (name: string, labels: Record<string, string>, image: string, owner?: string): Parameters<FakeApiserver['seed']>[1] => ({
  metadata: { name, namespace: 'shop', labels, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: `uid-${owner}`, controller: true }] } : {}) },
  spec: { containers: [{ name: 'main', image }] },
});

function snapshot(): string {
  return JSON.stringify(['pods', 'deployments', 'replicasets', 'networkpolicies'].map((r) => api.store.list(r)));
}

beforeAll(async () => {
  api = await startFakeApiserver();
  kubeconfig = api.writeKubeconfig();
});
afterAll(async () => api.close());

beforeEach(() => {
  api.authorizer = allowAll;
  api.beforeServe = undefined;
  for (const r of ['pods', 'deployments', 'replicasets', 'networkpolicies']) {
    for (const o of api.store.list(r)) api.store.remove(r, o.metadata.namespace, o.metadata.name);
  }
  api.seed('deployments', { metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } }, spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } } } } });
  api.seed('replicasets', { metadata: { name: 'web-6d4cf56db6', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true }] } });
  api.seed('pods', pod('web-1', { app: 'web', instance: 'web-1' }, 'nginx:1.25', 'web-6d4cf56db6'));
  api.seed('pods', pod('web-2', { app: 'web', instance: 'web-2' }, 'docker.io/library/nginx:1.25', 'web-6d4cf56db6'));
  api.seed('pods', pod('web-canary', { app: 'web', instance: 'web-canary' }, 'nginx:1.26'));
  api.seed('pods', pod('db-1', { app: 'db' }, 'postgres:16'));
  api.seed('pods', { ...pod('web-1', { app: 'web', instance: 'web-1' }, 'nginx:1.25'), metadata: { name: 'web-1', namespace: 'prod', labels: { app: 'web', instance: 'web-1' } } });
  api.requests.length = 0;
});

describe('kubernetes action: labels and annotations', () => {
  const trc2Action = (extra: Record<string, unknown> = {}): Action => build({
    'kube-namespace': 'event.input.Context.kubernetes.podNamespace',
    'kube-label-selector': 'app=event.input.Context.kubernetes.labels.app, instance in (event.input.Context.kubernetes.podName)',
    'kube-actions': {
      labels: {
        'hooker.io/signature': 'event.input.SigMetadata.ID',
        'hooker.io/severity': 'event.input.SigMetadata.Properties.Severity',
        'hooker.io/technique': 'event.input.SigMetadata.Properties["MITRE ATT&CK"]',
        'hooker.io/source': 'tracker',
      },
      annotations: { 'hooker.io/description': 'event.input.SigMetadata.Description' },
    },
    ...extra,
  });

  it('labels and annotates only the pods a TRC-2 event resolves to, with values from the event', async () => {
    const before = api.store.list('pods');
    const r = await deliver(trc2Action(), trc2);
    expect(r.ok, r.detail).toBe(true);
    const web1 = api.store.get('pods', 'shop', 'web-1')!;
    expect(web1.metadata.labels).toEqual({
      app: 'web', instance: 'web-1',
      'hooker.io/signature': 'TRC-2', 'hooker.io/severity': '3',
      // "Persistence: Server Software Component" made valid by the documented rule.
      'hooker.io/technique': 'Persistence--Server-Software-Component',
      'hooker.io/source': 'tracker',
    });
    expect(web1.metadata.annotations).toEqual({ 'hooker.io/description': 'Process uses anti-debugging technique to block debugger' });
    for (const other of before.filter((p) => !(p.metadata.namespace === 'shop' && p.metadata.name === 'web-1'))) {
      expect(api.store.get('pods', other.metadata.namespace, other.metadata.name)).toEqual(other);
    }
    expect(r.changed).toEqual([expect.stringMatching(/^pod shop\/web-1 patched: labels hooker\.io\/signature=TRC-2,/)]);
    expect(r.log).toContain("label hooker.io/technique: 'Persistence: Server Software Component' made a valid label value 'Persistence--Server-Software-Component'");
    const patches = api.mutations();
    expect(patches.map((q) => [q.method, q.path, q.contentType])).toEqual([['PATCH', '/api/v1/namespaces/shop/pods/web-1', 'application/merge-patch+json']]);
    expect(api.requests.find((q) => q.query.labelSelector)?.query.labelSelector).toBe('app=web,instance in (web-1)');
  });

  it('firing again changes nothing more', async () => {
    await deliver(trc2Action(), trc2);
    const rv = api.store.get('pods', 'shop', 'web-1')!.metadata.resourceVersion;
    const again = await deliver(trc2Action(), trc2);
    expect(again.ok).toBe(true);
    expect(again.changed).toEqual([]);
    expect(api.store.get('pods', 'shop', 'web-1')!.metadata.resourceVersion).toBe(rv);
  });

  it('an event whose selector cannot resolve changes nothing and says why', async () => {
    const event = { ...trc2, Context: { ...trc2.Context, kubernetes: {} } };
    const before = snapshot();
    const r = await deliver(build({
      'kube-namespace': 'shop',
      'kube-label-selector': 'app=event.input.Context.kubernetes.labels.app',
      'kube-actions': { labels: { x: 'y' } },
    }), event);
    expect(r).toMatchObject({ ok: false, retryable: false, changed: [] });
    expect(r.detail).toBe('nothing changed: event.input.Context.kubernetes.labels does not exist in the event');
    expect(api.requests).toEqual([]); // not even a list
    expect(snapshot()).toBe(before);
  });

  it.each([
    ['an empty string', ''],
    ['a value Kubernetes rejects in a selector', 'web frontend'],
    ['an object', { nested: true }],
  ])('a selector value that resolves to %s changes nothing', async (_what, value) => {
    const before = snapshot();
    const r = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'app=event.input.app', 'kube-actions': { labels: { x: 'y' } } }), { app: value });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toMatch(/^nothing changed: /);
    expect(api.mutations()).toEqual([]);
    expect(snapshot()).toBe(before);
  });

  it('refuses a selector that matches every pod of the namespace unless "" is written', async () => {
    const before = snapshot();
    const wide = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'app notin (nothing)', 'kube-actions': { labels: { x: 'y' } } }), trc2);
    expect(wide).toMatchObject({ ok: false, retryable: false });
    expect(wide.detail).toMatch(/matches every pod of namespace shop \(4\); write kube-label-selector: "" if that is meant/);
    expect(snapshot()).toBe(before);

    const all = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': '', 'kube-actions': { labels: { x: 'y' } } }), trc2);
    expect(all.ok, all.detail).toBe(true);
    expect(all.changed).toHaveLength(4);
    expect(api.store.list('pods', 'prod')[0].metadata.labels).not.toHaveProperty('x');
  });

  it('fails with a clear reason when an event value has nothing usable as a label value', async () => {
    const before = snapshot();
    const r = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'instance=web-1', 'kube-actions': { labels: { cve: 'event.input.id' } } }), { id: '???' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toBe("nothing changed: label cve: event.input.id = '???' has nothing usable as a label value");
    expect(snapshot()).toBe(before);
  });

  it('retries a 409 conflict after re-reading, and re-checks the selector', async () => {
    let raced = 0;
    api.beforeServe = (q) => {
      if (q.method === 'PATCH' && raced++ === 0) {
        const cur = api.store.get('pods', 'shop', 'web-1')!;
        api.store.write('pods', { ...cur, metadata: { ...cur.metadata, annotations: { other: 'writer' } } });
      }
    };
    const r = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'instance=web-1', 'kube-actions': { labels: { risk: 'high' } } }), trc2);
    expect(r.ok, r.detail).toBe(true);
    expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.status)).toEqual([409, 200]);
    expect(api.store.get('pods', 'shop', 'web-1')!.metadata).toMatchObject({ labels: { risk: 'high' }, annotations: { other: 'writer' } });

    // A pod relabelled out of the selection while we raced is left alone.
    raced = 0;
    api.beforeServe = (q) => {
      if (q.method === 'PATCH' && raced++ === 0) {
        const cur = api.store.get('pods', 'shop', 'web-2')!;
        api.store.write('pods', { ...cur, metadata: { ...cur.metadata, labels: { app: 'retired' } } });
      }
    };
    const r2 = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'instance=web-2', 'kube-actions': { labels: { risk: 'high' } } }), trc2);
    expect(r2.ok).toBe(true);
    expect(r2.changed).toEqual([]);
    expect(api.store.get('pods', 'shop', 'web-2')!.metadata.labels).toEqual({ app: 'retired' });
  });

  it('target deployments labels the owning Deployment (through its ReplicaSet)', async () => {
    const r = await deliver(build({
      'kube-namespace': 'shop', 'kube-label-selector': 'instance in (web-1, web-2)',
      'kube-actions': { labels: { risk: 'high' }, target: ['pods', 'deployments'] },
    }), trc2);
    expect(r.ok, r.detail).toBe(true);
    expect(r.changed).toEqual([
      'pod shop/web-1 patched: labels risk=high', 'pod shop/web-2 patched: labels risk=high', 'deployment shop/web patched: labels risk=high',
    ]);
    expect(api.store.get('deployments', 'shop', 'web')!.metadata.labels).toEqual({ app: 'web', risk: 'high' });
    const depOnly = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'instance=web-1', 'kube-actions': { annotations: { a: 'b' }, target: 'deployments' } }), trc2);
    expect(depOnly.changed).toEqual(['deployment shop/web patched: annotations a']);
    expect(api.store.get('pods', 'shop', 'web-1')!.metadata.annotations).toBeUndefined();
  });

  it('dry-run reports what would change and changes nothing (server-side dryRun=All)', async () => {
    const before = snapshot();
    const r = await deliver(trc2Action({ 'dry-run': true }), trc2);
    expect(r.ok, r.detail).toBe(true);
    expect(r.changed).toEqual([expect.stringMatching(/^pod shop\/web-1 would be patched: labels /)]);
    expect(r.detail).toMatch(/would change \(dry run\)/);
    expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.query.dryRun)).toEqual(['All']);
    expect(snapshot()).toBe(before);
  });
});

describe('kubernetes action: delete-pods and isolate', () => {
  it('a vulnerability event deletes exactly the pods running the named image', async () => {
    const r = await deliver(build({ 'kube-namespace': 'shop', 'kube-image': 'event.input.ArtifactName', 'kube-actions': { 'delete-pods': true } }), trivyScan);
    expect(r.ok, r.detail).toBe(true);
    expect(r.changed).toEqual(['pod shop/web-1 deleted', 'pod shop/web-2 deleted']);
    expect(api.store.list('pods', 'shop').map((p) => p.metadata.name)).toEqual(['db-1', 'web-canary']);
    expect(api.store.list('pods', 'prod')).toHaveLength(1);
  });

  it('an image run by every pod of the namespace is refused', async () => {
    const before = snapshot();
    const r = await deliver(build({ 'kube-namespace': 'prod', 'kube-image': 'event.input.ArtifactName', 'kube-actions': { 'delete-pods': true } }), trivyScan);
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toMatch(/image nginx:1\.25 matches every pod of namespace prod/);
    expect(snapshot()).toBe(before);
  });

  it('combines selector and image', async () => {
    const r = await deliver(build({ 'kube-namespace': 'shop', 'kube-label-selector': 'instance!=web-1', 'kube-image': 'event.input.ArtifactName', 'kube-actions': { 'delete-pods': true } }), trivyScan);
    expect(r.changed).toEqual(['pod shop/web-2 deleted']);
  });

  it('a 403 fails the delivery with the apiserver\'s reason and is not retried', async () => {
    api.authorizer = denying('delete pods');
    const r = await deliver(build({ 'kube-namespace': 'shop', 'kube-image': 'nginx:1.26', 'kube-actions': { 'delete-pods': true } }), trivyScan);
    expect(r).toMatchObject({ ok: false, retryable: false, changed: [] });
    expect(r.detail).toMatch(/^Forbidden: pods "web-canary" is forbidden: User "system:serviceaccount:hooker:hooker" cannot delete/);
    expect(api.store.get('pods', 'shop', 'web-canary')).toBeDefined();
  });

  it('isolation creates one deny-all NetworkPolicy however often it fires', async () => {
    const action = build({ 'kube-namespace': 'shop', 'kube-label-selector': 'app=event.input.Context.kubernetes.labels.app,instance!=web-canary', 'kube-actions': { isolate: true } });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await deliver(action, trc2));
    expect(results.every((r) => r.ok)).toBe(true);
    const policies = api.store.list('networkpolicies', 'shop') as Array<KubeObject & { spec: unknown }>;
    expect(policies).toHaveLength(1);
    expect(policies[0].metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'hooker' });
    expect(policies[0].spec).toEqual({
      podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'instance', operator: 'NotIn', values: ['web-canary'] }] },
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(results[0].changed).toEqual([`networkpolicy shop/${policies[0].metadata.name} created`]);
    expect(results[1].changed).toEqual([]);
    expect(api.mutations().filter((q) => q.method === 'POST')).toHaveLength(1);
  });

  it('a wrong token fails every delivery with 401 and changes nothing', async () => {
    const bad = api.writeKubeconfig({ token: 'stolen' });
    const { action } = kubernetesAction.create({ name: 'x', type: 'kubernetes', 'kube-config-file': bad, 'kube-namespace': 'shop', 'kube-label-selector': 'app=web', 'kube-actions': { 'delete-pods': true } }, {});
    const r = await deliver(action!, trc2);
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toMatch(/Unauthorized/);
    expect(api.store.list('pods', 'shop')).toHaveLength(4);
  });
});

describe('kubernetes action: configuration', () => {
  const problems = (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
    kubernetesAction.create({ name: 'x', type: 'kubernetes', 'kube-config-file': kubeconfig, ...config }, env).problems.map((p) => `${p.path}: ${p.message}`);

  it('requires a selector or an image, and something to do', () => {
    expect(problems({ 'kube-namespace': 'shop', 'kube-actions': {} })).toEqual([
      expect.stringMatching(/^kube-label-selector: required \(or kube-image\)/),
      expect.stringMatching(/^kube-actions: nothing to do/),
    ]);
  });

  it('rejects blank and malformed selectors and invalid keys at load time', () => {
    expect(problems({ 'kube-namespace': 'shop', 'kube-label-selector': '  ', 'kube-actions': { 'delete-pods': true } })[0]).toMatch(/is blank; write ""/);
    expect(problems({ 'kube-namespace': 'shop', 'kube-label-selector': 'app in ()', 'kube-actions': { 'delete-pods': true } })[0]).toMatch(/needs at least one value/);
    expect(problems({ 'kube-namespace': 'shop', 'kube-label-selector': 'app=web', 'kube-actions': { labels: { 'bad key': 'v', ok: 'not ok!' }, 'delete-pods': true } })).toEqual([
      expect.stringMatching(/^kube-actions.labels.bad key: name part of 'bad key' must consist/),
      expect.stringMatching(/^kube-actions.labels.ok: 'not ok!' must consist/),
    ]);
    expect(problems({ 'kube-namespace': 'Bad_NS', 'kube-image': 'x', 'kube-actions': { isolate: true } })).toEqual([
      expect.stringMatching(/^kube-namespace: 'Bad_NS' is not a valid namespace name/),
      expect.stringMatching(/^kube-actions.isolate: needs kube-label-selector/),
    ]);
  });

  it('takes the kubeconfig from kube-config-file, else KUBECONFIG, else in-cluster', async () => {
    const base = { name: 'x', type: 'kubernetes', 'kube-namespace': 'shop', 'kube-label-selector': 'instance=web-1', 'kube-actions': { labels: { a: 'b' } } };
    const viaEnv = kubernetesAction.create(base, { KUBECONFIG: kubeconfig });
    expect(viaEnv.problems).toEqual([]);
    expect((await deliver(viaEnv.action!, trc2)).ok).toBe(true);
    expect(kubernetesAction.create(base, {}).problems).toEqual([{ path: 'KUBECONFIG', message: 'no Kubernetes configuration: set kube-config-file or KUBECONFIG, or run in a cluster' }]);
    expect(kubernetesAction.create({ ...base, 'kube-config-file': '/nonexistent' }, {}).problems[0].path).toBe('kube-config-file');
  });
});

describe('deploy/kubernetes RBAC', () => {
  it('grants every verb the shipped features use, and no more than that', async () => {
    const docs = parseAllDocuments(readFileSync(new URL('../../deploy/kubernetes/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJSON() as { kind: string; rules?: PolicyRule[] });
    const rules = docs.find((d) => d.kind === 'ClusterRole')!.rules!;
    api.authorizer = allowingRules(rules);
    let raced = false; // one conflict, so the re-read (`get pods`) path runs too
    api.beforeServe = (q) => {
      if (!raced && q.method === 'PATCH' && q.path.includes('/pods/')) {
        raced = true;
        const cur = api.store.get('pods', 'shop', 'web-1')!;
        api.store.write('pods', cur);
      }
    };
    const runs = [
      build({ 'kube-namespace': 'shop', 'kube-label-selector': 'instance=web-1', 'kube-actions': { labels: { a: 'b' }, annotations: { c: 'd' }, target: ['pods', 'deployments'] } }),
      build({ 'kube-namespace': 'shop', 'kube-label-selector': 'app=web', 'kube-actions': { isolate: true } }),
      build({ 'kube-namespace': 'shop', 'kube-image': 'nginx:1.26', 'kube-actions': { 'delete-pods': true } }),
    ];
    for (const action of runs) {
      const r = await deliver(action, trc2);
      expect(r.ok, r.detail).toBe(true);
    }
    // Make the isolation path replace an edited policy (the `update` verb).
    const np = api.store.list('networkpolicies', 'shop')[0];
    api.store.write('networkpolicies', { ...np, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    expect((await deliver(runs[1], trc2)).changed).toEqual([expect.stringMatching(/replaced$/)]);
    expect(api.requests.every((q) => q.status !== 403)).toBe(true);
    // Every rule verb is exercised by some request (no unused grants).
    const exercised = new Set(api.requests.map((q) => `${q.verb}:${/\/(pods|replicasets|deployments|networkpolicies)(\/|$)/.exec(q.path)?.[1]}`));
    for (const r of rules) for (const res of r.resources!) for (const v of r.verbs!) expect(exercised, `${v} ${res}`).toContain(`${v}:${res}`);
  });
});

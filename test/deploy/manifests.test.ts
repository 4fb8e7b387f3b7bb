// deploy/kubernetes and deploy/helm/hooker as a user applies them: the
// cfg.yaml they carry passes `hooker validate` (the real CLI), and the
// Deployment gives every path the server writes a writable volume under a
// read-only root filesystem. The chart is rendered with
// test/support/helm-render.ts (no helm binary is available here).

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { renderChart } from '../support/helm-render.js';
import { runValidate } from '../../src/cli/validate.js';

const repo = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'hooker-manifests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type K8sObject = Record<string, any>;

// In a pod the kubernetes action finds the in-cluster service account; here
// KUBECONFIG names a cluster instead (validation loads it, never connects).
const kubeconfig = join(scratch, 'kubeconfig');
writeFileSync(kubeconfig, YAML.stringify({
  apiVersion: 'v1', kind: 'Config', 'current-context': 'pod',
  clusters: [{ name: 'pod', cluster: { server: 'https://127.0.0.1:6443' } }],
  users: [{ name: 'sa', user: { token: 'service-account-token' } }],
  contexts: [{ name: 'pod', context: { cluster: 'pod', user: 'sa' } }],
}));

/** `hooker validate` (the CLI command, in-process) on a cfg.yaml text, with the image's REGO_FILTERS_PATH contents. */
async function validate(text: string, name: string): Promise<{ code: number; output: string }> {
  const file = join(scratch, `${name}.yaml`);
  writeFileSync(file, text);
  const saved = { KUBECONFIG: process.env.KUBECONFIG, REGO_FILTERS_PATH: process.env.REGO_FILTERS_PATH };
  process.env.KUBECONFIG = kubeconfig;
  process.env.REGO_FILTERS_PATH = join(repo, 'rego', 'filters');
  let output = '';
  const capture = (chunk: string | Uint8Array) => { output += String(chunk); return true; };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    return { code: await runValidate([file]), output };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

const under = (path: string, dir: string) => path === dir || path.startsWith(dir.replace(/\/$/, '') + '/');

/** What a user of the manifests would otherwise find out from a crash-looping pod. */
function checkDeployment(objects: K8sObject[]): { cfg: string; env: Record<string, string> } {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  expect(deployments).toHaveLength(1);
  const pod = deployments[0]!.spec.template.spec;
  const container = pod.containers.find((c: K8sObject) => c.name === 'hooker');
  expect(container).toBeDefined();
  // The image sets HOOKER_CFG; the server's defaults for the listen addresses.
  const env: Record<string, string> = { HOOKER_CFG: '/config/cfg.yaml', HOOKER_HTTP: '0.0.0.0:8082', HOOKER_HTTPS: '0.0.0.0:8445' };
  for (const e of container.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  // Spelled out in the manifests, so that what they mount and what the server writes are seen to agree.
  const https = env['HOOKER_HTTPS'] !== '';
  for (const name of ['HOOKER_DB', ...(https ? ['HOOKER_CERT_PEM', 'HOOKER_KEY_PEM'] : [])]) expect(env[name], `${name} is set`).toMatch(/^\//);

  const volumes = new Map<string, K8sObject>((pod.volumes ?? []).map((v: K8sObject) => [v.name, v]));
  const mounts = (container.volumeMounts ?? []) as K8sObject[];
  for (const m of mounts) expect(volumes.has(m.name), `volumeMount ${m.name} has a volume`).toBe(true);

  // The config: HOOKER_CFG is a key of a ConfigMap that exists.
  const cfgMount = mounts.find((m) => under(env['HOOKER_CFG']!, m.mountPath));
  expect(cfgMount, `a volume holds HOOKER_CFG=${env['HOOKER_CFG']}`).toBeDefined();
  const cmName = volumes.get(cfgMount!.name)!.configMap?.name;
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cmName);
  expect(configMap, `ConfigMap ${cmName}`).toBeDefined();
  const key = posix.relative(cfgMount!.mountPath, env['HOOKER_CFG']!);
  expect(Object.keys(configMap!.data)).toContain(key);

  // Read-only root: the database, the TLS pair (when HTTPS is on) and /tmp are on writable, non-config volumes.
  expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
  const written = [posix.dirname(env['HOOKER_DB']!), '/tmp', ...(https ? [posix.dirname(env['HOOKER_CERT_PEM']!), posix.dirname(env['HOOKER_KEY_PEM']!)] : [])];
  for (const dir of written) {
    const m = mounts.filter((x) => under(dir, x.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
    expect(m, `${dir} is on a volume`).toBeDefined();
    expect(m!.readOnly ?? false, `${dir} is writable`).toBe(false);
    const v = volumes.get(m!.name)!;
    expect(v.persistentVolumeClaim ?? v.emptyDir, `${dir} is a PVC or emptyDir`).toBeDefined();
  }
  // The database survives pod replacement unless explicitly an emptyDir; a PVC claim must exist or be named by the user.
  const dbVolume = volumes.get(mounts.filter((x) => under(env['HOOKER_DB']!, x.mountPath)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0]!.name)!;
  if (dbVolume.persistentVolumeClaim) {
    expect(deployments[0]!.spec.strategy?.type, 'ReadWriteOnce database: Recreate, not a rolling update').toBe('Recreate');
  }
  // The image's user owns what it writes: the pod runs as uid 1000 with fsGroup for the volume.
  expect(pod.securityContext.runAsUser).toBe(1000);
  expect(pod.securityContext.fsGroup).toBe(1000);

  // Ports: HOOKER_HTTP/HTTPS listen on the named container ports the probes and Service use.
  const ports = new Map<string, number>((container.ports ?? []).map((p: K8sObject) => [p.name, p.containerPort]));
  expect(Number(env['HOOKER_HTTP']!.split(':').pop())).toBe(ports.get('http'));
  if (https) expect(Number(env['HOOKER_HTTPS']!.split(':').pop())).toBe(ports.get('https'));
  else expect(ports.has('https')).toBe(false);
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    expect(probe?.httpGet?.path).toBe('/ping');
    expect(ports.has(probe.httpGet.port)).toBe(true);
  }
  const service = objects.find((o) => o.kind === 'Service');
  expect(service).toBeDefined();
  for (const p of service!.spec.ports) expect(ports.has(p.targetPort), `Service port ${p.name} targets a container port`).toBe(true);
  for (const [k, v] of Object.entries(service!.spec.selector)) expect(deployments[0]!.spec.template.metadata.labels[k]).toBe(v);

  // The kubernetes action's identity: the ServiceAccount the RoleBindings name.
  const sa = pod.serviceAccountName as string;
  for (const rb of objects.filter((o) => o.kind === 'RoleBinding')) {
    expect(rb.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: sa })]);
    const role = objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === rb.roleRef.name);
    expect(role, `ClusterRole ${rb.roleRef.name}`).toBeDefined();
  }
  return { cfg: configMap!.data[key] as string, env };
}

describe('deploy/kubernetes', () => {
  const dir = join(repo, 'deploy', 'kubernetes');
  const kustomization = YAML.parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const objects: K8sObject[] = kustomization.resources.flatMap((f) => YAML.parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as K8sObject));

  it('lists every manifest in kustomization.yaml', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect([...kustomization.resources].sort()).toEqual(files);
  });

  it("ConfigMap's cfg.yaml passes hooker validate", async () => {
    const { cfg } = checkDeployment(objects);
    const r = await validate(cfg, 'kubernetes-cfg');
    expect(r.output).not.toMatch(/error/);
    expect(r.output).toMatch(/: ok \(/);
    expect(r.code).toBe(0);
  });

  it('Deployment: volumes for the database and the self-signed certificate under a read-only root, ports, probes, ServiceAccount', () => {
    const { env } = checkDeployment(objects);
    expect(env['HOOKER_DB']).toBe('/server/database/hooker.db');
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim');
    const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec;
    expect(pod.volumes.find((v: K8sObject) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName).toBe(claim?.metadata.name);
    const sa = objects.find((o) => o.kind === 'ServiceAccount');
    expect(sa?.metadata.name).toBe(pod.serviceAccountName);
  });
});

describe('deploy/helm/hooker (rendered without helm)', () => {
  const chartDir = join(repo, 'deploy', 'helm', 'hooker');
  const render = (values?: Record<string, unknown>) => renderChart({ chartDir, releaseName: 'alerts', namespace: 'security', values }).objects;

  it('default values: every object, a cfg.yaml that passes hooker validate, a consistent Deployment', async () => {
    const objects = render();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/alerts-hooker-actions', 'ConfigMap/alerts-hooker', 'Deployment/alerts-hooker', 'PersistentVolumeClaim/alerts-hooker-database',
      'RoleBinding/alerts-hooker-actions', 'Service/alerts-hooker', 'ServiceAccount/alerts-hooker',
    ]);
    const { cfg } = checkDeployment(objects);
    const r = await validate(cfg, 'helm-default-cfg');
    expect(r.output).not.toMatch(/error/);
    expect(r.output).toMatch(/: ok \(/);
    expect(r.code).toBe(0);
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.template.spec.containers[0].image).toBe('hooker:0.1.0');
    expect(deployment.spec.template.spec.volumes.find((v: K8sObject) => v.name === 'database').persistentVolumeClaim.claimName).toBe('alerts-hooker-database');
    const rb = objects.find((o) => o.kind === 'RoleBinding')!;
    expect(rb.metadata.namespace).toBe('default');
    expect(rb.subjects[0].namespace).toBe('security');
  });

  it('values for cfg.yaml, image, RBAC, service, probes, HTTPS and persistence are used', async () => {
    const k8sCfg = (YAML.parse(readFileSync(join(repo, 'deploy', 'kubernetes', 'configmap.yaml'), 'utf8')) as K8sObject).data['cfg.yaml'] as string;
    const objects = render({
      config: k8sCfg,
      image: { repository: 'registry.example/hooker', tag: '1.2.3', pullPolicy: 'Always' },
      rbac: { namespaces: ['shop', 'payments'] },
      serviceAccount: { create: false, name: 'existing-sa' },
      service: { type: 'NodePort', httpPort: 80 },
      https: { enabled: false },
      persistence: { enabled: false },
      probes: { liveness: { httpGet: { path: '/ping', port: 'http' }, periodSeconds: 7 } },
      env: [{ name: 'HOOKER_TOKEN', valueFrom: { secretKeyRef: { name: 'hooker', key: 'token' } } }],
    });
    const { cfg, env } = checkDeployment(objects);
    expect(cfg).toBe(k8sCfg);
    expect((await validate(cfg, 'helm-k8s-cfg')).code).toBe(0);
    expect(env['HOOKER_HTTPS']).toBe('');
    const container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(container.image).toBe('registry.example/hooker:1.2.3');
    expect(container.imagePullPolicy).toBe('Always');
    expect(container.livenessProbe.periodSeconds).toBe(7);
    expect(container.env).toContainEqual({ name: 'HOOKER_TOKEN', valueFrom: { secretKeyRef: { name: 'hooker', key: 'token' } } });
    const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec;
    expect(pod.serviceAccountName).toBe('existing-sa');
    expect(pod.volumes.find((v: K8sObject) => v.name === 'database')).toEqual({ name: 'database', emptyDir: {} });
    expect(objects.filter((o) => o.kind === 'ServiceAccount' || o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.namespace)).toEqual(['shop', 'payments']);
    const service = objects.find((o) => o.kind === 'Service')!;
    expect(service.spec.type).toBe('NodePort');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  it('rbac.create=false renders no RBAC; a cfg.yaml with a mistake fails hooker validate with its line', async () => {
    const objects = render({ rbac: { create: false }, config: 'routes:\n  - name: r\n    actions: [nowhere]\n    template: raw-json\n' });
    expect(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'RoleBinding')).toEqual([]);
    const { cfg } = checkDeployment(objects);
    const r = await validate(cfg, 'helm-bad-cfg');
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/helm-bad-cfg\.yaml:\d+: error: .*nowhere/);
  });

  it('database.urlSecret: replicas on PostgreSQL with the URL from the Secret, rolling updates, a PodDisruptionBudget, no SQLite volume', () => {
    const objects = render({ database: { urlSecret: { name: 'pg-url', key: 'dsn' } }, replicaCount: 4 });
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toContain('PodDisruptionBudget/alerts-hooker');
    expect(kinds).not.toContain('PersistentVolumeClaim/alerts-hooker-database');
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    expect(deployment.spec.replicas).toBe(4);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    const env = deployment.spec.template.spec.containers[0].env as K8sObject[];
    expect(env.find((e) => e.name === 'HOOKER_DATABASE_URL')).toEqual({ name: 'HOOKER_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'pg-url', key: 'dsn' } } });
    expect(env.find((e) => e.name === 'HOOKER_DB')).toBeUndefined();
    expect(deployment.spec.template.spec.volumes.find((v: K8sObject) => v.name === 'database')).toEqual({ name: 'database', emptyDir: {} });
    const pdb = objects.find((o) => o.kind === 'PodDisruptionBudget')!;
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });
});

describe('deploy/kubernetes/replicas', () => {
  const dir = join(repo, 'deploy', 'kubernetes', 'replicas');
  const k = YAML.parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources: string[]; patches: Array<{ path?: string; patch?: string }> };

  it('builds on the single-pod manifests: URL from a Secret, three replicas, /readyz readiness, a PodDisruptionBudget, the PVC removed', () => {
    expect(k.resources).toEqual(['../', 'pdb.yaml']);
    const patch = YAML.parse(readFileSync(join(dir, k.patches.find((p) => p.path)!.path!), 'utf8')) as K8sObject;
    expect(patch.spec.replicas).toBe(3);
    const c = patch.spec.template.spec.containers[0];
    expect(c.env).toContainEqual({ name: 'HOOKER_DATABASE_URL', valueFrom: { secretKeyRef: { name: 'hooker-database', key: 'url' } } });
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(k.patches.some((p) => p.patch?.includes('$patch: delete') && p.patch.includes('PersistentVolumeClaim'))).toBe(true);
    const pdb = YAML.parse(readFileSync(join(dir, 'pdb.yaml'), 'utf8')) as K8sObject;
    const base = YAML.parse(readFileSync(join(repo, 'deploy', 'kubernetes', 'deployment.yaml'), 'utf8')) as K8sObject;
    expect(pdb.spec.selector.matchLabels).toEqual(base.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeLessThan(patch.spec.replicas);
  });
});

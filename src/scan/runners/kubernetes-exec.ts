// `runner: kubernetes-exec`: the least-privilege container scan.
//
// For each scan: check the target container is running; create a
// ServiceAccount, a Role allowing only `get` on that pod and `create` on its
// `pods/exec` (by resourceNames) and a RoleBinding; request a short-lived
// token; write a kubeconfig (0600, private temp dir) holding only that token;
// run the scanner with KUBECONFIG pointing at it; then, whatever happened,
// delete the kubeconfig, RoleBinding, Role and ServiceAccount and check they
// are gone. Everything is labelled so `sweep()` removes what a crash left.

import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { runProcess } from './exec.js';
import { apiCode, apiMessage, loadKubeAccess, SCAN_MANAGED_LABELS, SCAN_MANAGED_SELECTOR, type KubeAccess } from './kube.js';
import { expandArgs, ScanRunError, type RunContext, type RunOutput, type ScanRunner } from './types.js';
import type { PodTarget } from '../types.js';

export interface KubernetesExecConfig {
  command: string[];
  env: Record<string, string>;
  kubeConfigFile?: string;
  tokenExpirationSeconds: number;
}

export class KubernetesExecRunner implements ScanRunner {
  readonly kind = 'kubernetes-exec';
  private access?: KubeAccess;

  constructor(private readonly cfg: KubernetesExecConfig, private readonly env: NodeJS.ProcessEnv) {}

  private kube(): KubeAccess {
    return (this.access ??= loadKubeAccess(this.cfg.kubeConfigFile, this.env));
  }

  async run(ctx: RunContext): Promise<RunOutput> {
    if (!('pod' in ctx.target)) throw new ScanRunError('kubernetes-exec scans a pod: give target.pod {namespace, name, container}');
    const kube = this.kube();
    const target = ctx.target.pod;
    const container = await this.checkRunning(kube, target);
    const pod: PodTarget = { ...target, container };
    const name = `hooker-scan-${ctx.scanId.replace(/[^a-z0-9]/g, '').slice(0, 12)}`;
    const ns = pod.namespace;
    const labels = { ...SCAN_MANAGED_LABELS, 'io.hooker/scan': ctx.scanId.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 63) };
    let dir: string | undefined;
    try {
      await kube.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name, labels }, automountServiceAccountToken: false } });
      await kube.rbac.createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name, labels },
          rules: [
            { apiGroups: [''], resources: ['pods'], verbs: ['get'], resourceNames: [pod.name] },
            { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'], resourceNames: [pod.name] },
          ],
        },
      });
      await kube.rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name, labels },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
          subjects: [{ kind: 'ServiceAccount', name, namespace: ns }],
        },
      });
      const tr = await kube.core.createNamespacedServiceAccountToken({ name, namespace: ns, body: { spec: { expirationSeconds: this.cfg.tokenExpirationSeconds, audiences: [] } } });
      const token = tr.status?.token;
      if (!token) throw new ScanRunError('the TokenRequest returned no token');
      ctx.log(`temporary access ${ns}/${name}: get pods/${pod.name}, create pods/exec, token for ${this.cfg.tokenExpirationSeconds}s`);
      dir = mkdtempSync(join(tmpdir(), 'hooker-kubeconfig-'));
      const kubeconfig = join(dir, 'config');
      writeFileSync(kubeconfig, restrictedKubeconfig(kube, token, ns), { mode: 0o600 });
      const argv = expandArgs(this.cfg.command, { ...ctx, target: { pod } }, { kubeconfig });
      return await runProcess(argv, { ...this.env, ...this.cfg.env, KUBECONFIG: kubeconfig }, ctx, [0, 100, 101]);
    } catch (e) {
      if (e instanceof ScanRunError) throw e;
      throw new ScanRunError(`setting up temporary access in ${ns} failed: ${apiMessage(e)}`);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      await this.cleanUp(kube, ns, name, ctx.log);
    }
  }

  /** The container to scan (the pod's first when none is named), after checking it runs. */
  private async checkRunning(kube: KubeAccess, t: PodTarget): Promise<string> {
    let pod: V1Pod;
    try {
      pod = await kube.core.readNamespacedPod({ name: t.name, namespace: t.namespace });
    } catch (e) {
      throw new ScanRunError(apiCode(e) === 404 ? `pod ${t.namespace}/${t.name} does not exist` : `reading pod ${t.namespace}/${t.name}: ${apiMessage(e)}`);
    }
    const container = t.container ?? pod.spec?.containers[0]?.name;
    if (!container || !pod.spec?.containers.some((c) => c.name === container)) throw new ScanRunError(`pod ${t.namespace}/${t.name} has no container ${container ?? ''}`);
    if (pod.status?.phase !== 'Running') throw new ScanRunError(`pod ${t.namespace}/${t.name} is ${pod.status?.phase ?? 'in no phase'}, not Running`);
    const state = pod.status.containerStatuses?.find((s) => s.name === container)?.state;
    if (state && !state.running) throw new ScanRunError(`container ${container} of ${t.namespace}/${t.name} is not running`);
    return container;
  }

  /** Deletes in reverse order of creation and checks each object is gone. */
  private async cleanUp(kube: KubeAccess, namespace: string, name: string, log: (l: string) => void): Promise<void> {
    const steps: Array<[string, () => Promise<unknown>, () => Promise<unknown>]> = [
      ['RoleBinding', () => kube.rbac.deleteNamespacedRoleBinding({ name, namespace }), () => kube.rbac.readNamespacedRoleBinding({ name, namespace })],
      ['Role', () => kube.rbac.deleteNamespacedRole({ name, namespace }), () => kube.rbac.readNamespacedRole({ name, namespace })],
      ['ServiceAccount', () => kube.core.deleteNamespacedServiceAccount({ name, namespace }), () => kube.core.readNamespacedServiceAccount({ name, namespace })],
    ];
    const left: string[] = [];
    for (const [kind, del, read] of steps) {
      await del().catch((e: unknown) => { if (apiCode(e) !== 404) log(`deleting ${kind} ${namespace}/${name}: ${apiMessage(e)}`); });
      const gone = await read().then(() => false, (e: unknown) => apiCode(e) === 404);
      if (!gone) left.push(kind);
    }
    if (left.length) log(`WARNING: ${left.join(', ')} ${namespace}/${name} still present after clean-up (the start-up sweep retries)`);
    else log(`temporary access ${namespace}/${name} removed`);
  }

  async sweep(log: (line: string) => void): Promise<number> {
    const kube = this.kube();
    let n = 0;
    const remove = async (kind: string, list: () => Promise<{ items: Array<{ metadata?: { name?: string; namespace?: string } }> }>, del: (name: string, namespace: string) => Promise<unknown>): Promise<void> => {
      for (const o of (await list()).items) {
        const { name, namespace } = o.metadata ?? {};
        if (!name || !namespace) continue;
        await del(name, namespace).then(() => { n++; log(`swept ${kind} ${namespace}/${name}`); }, (e: unknown) => log(`sweeping ${kind} ${namespace}/${name}: ${apiMessage(e)}`));
      }
    };
    const labelSelector = SCAN_MANAGED_SELECTOR;
    await remove('RoleBinding', () => kube.rbac.listRoleBindingForAllNamespaces({ labelSelector }), (name, namespace) => kube.rbac.deleteNamespacedRoleBinding({ name, namespace }));
    await remove('Role', () => kube.rbac.listRoleForAllNamespaces({ labelSelector }), (name, namespace) => kube.rbac.deleteNamespacedRole({ name, namespace }));
    await remove('ServiceAccount', () => kube.core.listServiceAccountForAllNamespaces({ labelSelector }), (name, namespace) => kube.core.deleteNamespacedServiceAccount({ name, namespace }));
    return n;
  }
}

/** A kubeconfig with the cluster of ours and nothing but the temporary token. */
function restrictedKubeconfig(kube: KubeAccess, token: string, namespace: string): string {
  const c = kube.cluster;
  const ca = c.caData ?? (c.caFile ? Buffer.from(readFileSync(c.caFile)).toString('base64') : undefined);
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'target', cluster: { server: c.server, ...(ca ? { 'certificate-authority-data': ca } : {}), ...(c.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}) } }],
    users: [{ name: 'hooker-scan', user: { token } }],
    contexts: [{ name: 'scan', context: { cluster: 'target', user: 'hooker-scan', namespace } }],
    'current-context': 'scan',
  }, null, 2);
}

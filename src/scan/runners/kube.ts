// Kubernetes access for the scan runners: the KubeConfig itself (the
// kubernetes-exec workflow derives a restricted kubeconfig from its cluster)
// and the API clients made from it.

import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api, Cluster } from '@kubernetes/client-node';
import { kubernetesClient } from '../../lazy-libraries.js';

export interface KubeAccess {
  kc: KubeConfig;
  cluster: Cluster;
  core: CoreV1Api;
  rbac: RbacAuthorizationV1Api;
  batch: BatchV1Api;
  networking: NetworkingV1Api;
}

export function loadKubeAccess(configFile: string | undefined, env: NodeJS.ProcessEnv): KubeAccess {
  const { KubeConfig, CoreV1Api, RbacAuthorizationV1Api, BatchV1Api, NetworkingV1Api } = kubernetesClient();
  const kc = new KubeConfig();
  const file = configFile ?? env.KUBECONFIG?.split(delimiter).find((p) => p !== '');
  if (file) {
    if (!existsSync(file)) throw new Error(`kubeconfig ${file} does not exist`);
    kc.loadFromFile(file);
  } else if (env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    throw new Error('no Kubernetes configuration: set kube-config-file or KUBECONFIG, or run in a cluster');
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no current cluster');
  return {
    kc, cluster,
    core: kc.makeApiClient(CoreV1Api), rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    batch: kc.makeApiClient(BatchV1Api), networking: kc.makeApiClient(NetworkingV1Api),
  };
}

export function apiCode(e: unknown): number | undefined {
  return e instanceof kubernetesClient().ApiException ? e.code : undefined;
}

export function apiMessage(e: unknown): string {
  if (e instanceof kubernetesClient().ApiException) {
    try {
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message?: string };
      if (body?.message) return `HTTP ${e.code}: ${body.message}`;
    } catch { /* fall through */ }
    return `HTTP ${e.code}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Labels on everything Hooker creates for a scan, so a sweep can find leftovers. */
export const SCAN_MANAGED_LABELS = { 'app.kubernetes.io/managed-by': 'hooker', 'io.hooker/component': 'scan' } as const;
export const SCAN_MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=hooker,io.hooker/component=scan';

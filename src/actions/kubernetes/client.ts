// API clients from `kube-config-file`, else KUBECONFIG, else the in-cluster
// service account, in that order.

import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import type { AppsV1Api, CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { kubernetesClient } from '../../lazy-libraries.js';

export interface KubeClients {
  core: CoreV1Api;
  apps: AppsV1Api;
  networking: NetworkingV1Api;
  /** Where the configuration came from, for logs. */
  source: string;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Throws an Error with a user-facing message when no configuration is usable. */
export function loadKubeClients(configFile: string | undefined, env: NodeJS.ProcessEnv): KubeClients {
  const { KubeConfig, CoreV1Api, AppsV1Api, NetworkingV1Api } = kubernetesClient();
  const kc = new KubeConfig();
  let source: string;
  const fromEnv = env.KUBECONFIG?.split(delimiter).find((p) => p !== '');
  const file = configFile ?? fromEnv;
  if (file) {
    if (!existsSync(file)) throw new Error(`kubeconfig ${file} does not exist`);
    kc.loadFromFile(file);
    source = configFile ? `kube-config-file ${file}` : `KUBECONFIG ${file}`;
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
    kc.loadFromCluster();
    source = 'in-cluster service account';
  } else {
    throw new Error('no Kubernetes configuration: set kube-config-file or KUBECONFIG, or run in a cluster');
  }
  if (!kc.getCurrentCluster()) throw new Error(`${source} names no current cluster`);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), networking: kc.makeApiClient(NetworkingV1Api), source };
}

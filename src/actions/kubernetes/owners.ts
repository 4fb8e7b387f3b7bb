// The Deployments that own pods (pod → ReplicaSet → Deployment, following controller references).

import type { V1Deployment, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { isStatus } from './api-errors.js';

const controllerOf = (refs: V1OwnerReference[] | undefined, kind: string): V1OwnerReference | undefined =>
  refs?.find((r) => r.controller && r.kind === kind) ?? refs?.find((r) => r.kind === kind);

export async function owningDeployments(clients: KubeClients, namespace: string, pods: V1Pod[], log: (l: string) => void): Promise<V1Deployment[]> {
  const rsNames = new Set<string>();
  for (const pod of pods) {
    const rs = controllerOf(pod.metadata?.ownerReferences, 'ReplicaSet');
    if (rs) rsNames.add(rs.name);
    else log(`pod ${pod.metadata?.name} is not owned by a ReplicaSet: no Deployment to label`);
  }
  const deployments = new Map<string, V1Deployment>();
  for (const name of rsNames) {
    try {
      const rs = await clients.apps.readNamespacedReplicaSet({ name, namespace });
      const dep = controllerOf(rs.metadata?.ownerReferences, 'Deployment');
      if (!dep) { log(`replicaset ${name} is not owned by a Deployment`); continue; }
      if (!deployments.has(dep.name)) deployments.set(dep.name, await clients.apps.readNamespacedDeployment({ name: dep.name, namespace }));
    } catch (e) {
      if (isStatus(e, 404)) { log(`replicaset ${name} or its deployment is gone`); continue; }
      throw e;
    }
  }
  return [...deployments.values()];
}

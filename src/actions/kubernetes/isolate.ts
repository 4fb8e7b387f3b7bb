// `isolate: true`: one deny-all NetworkPolicy per (namespace, selector),
// named from a hash of the selector so firing again finds the same policy.

import { createHash } from 'node:crypto';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { isStatus } from './api-errors.js';
import { toLabelSelectorObject, type Requirement } from './label-selector.js';

/** JSON with object keys sorted, so client-side model objects compare by content. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'hooker' };

export function isolationPolicy(namespace: string, requirements: Requirement[], actionName: string): V1NetworkPolicy {
  const podSelector = toLabelSelectorObject(requirements);
  const canonical = canonicalJson(podSelector);
  const name = `hooker-isolate-${createHash('sha256').update(`${namespace}\n${canonical}`).digest('hex').slice(0, 12)}`;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name,
      namespace,
      labels: { ...MANAGED_BY, 'io.hooker/purpose': 'isolate' },
      annotations: { 'io.hooker/action': actionName, 'io.hooker/selector': canonical },
    },
    // No ingress/egress rules with both policy types: nothing in, nothing out.
    spec: { podSelector, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** Returns 'created' or 'exists' (an identical policy was already there). */
export async function ensureIsolation(clients: KubeClients, policy: V1NetworkPolicy, dryRun: boolean): Promise<'created' | 'exists' | 'replaced'> {
  const namespace = policy.metadata!.namespace!;
  const name = policy.metadata!.name!;
  const dry = dryRun ? 'All' : undefined;
  let existing: V1NetworkPolicy | undefined;
  try {
    existing = await clients.networking.readNamespacedNetworkPolicy({ name, namespace });
  } catch (e) {
    if (!isStatus(e, 404)) throw e;
  }
  if (existing) {
    if (canonicalJson(existing.spec?.podSelector ?? {}) === canonicalJson(policy.spec?.podSelector) && (existing.spec?.ingress ?? []).length === 0 && (existing.spec?.egress ?? []).length === 0) return 'exists';
    // Someone edited our policy: put the deny-all back.
    await clients.networking.replaceNamespacedNetworkPolicy({ name, namespace, dryRun: dry, body: { ...policy, metadata: { ...policy.metadata, resourceVersion: existing.metadata?.resourceVersion } } });
    return 'replaced';
  }
  try {
    await clients.networking.createNamespacedNetworkPolicy({ namespace, dryRun: dry, body: policy });
    return 'created';
  } catch (e) {
    if (isStatus(e, 409)) return 'exists'; // created concurrently by another delivery
    throw e;
  }
}

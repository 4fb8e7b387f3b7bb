// Which pods are reachable from outside: an Ingress routes to a Service whose
// Endpoints (or EndpointSlices) list the pod.

import type { V1EndpointSlice, V1Endpoints, V1Ingress } from '@kubernetes/client-node';

function ingressServices(ing: V1Ingress): string[] {
  const names: string[] = [];
  const def = ing.spec?.defaultBackend?.service?.name;
  if (def) names.push(def);
  for (const rule of ing.spec?.rules ?? []) for (const p of rule.http?.paths ?? []) if (p.backend.service?.name) names.push(p.backend.service.name);
  return names;
}

/** Keys `namespace/pod` of every pod behind an Ingress. */
export function publicPods(ingresses: V1Ingress[], endpoints: V1Endpoints[], slices: V1EndpointSlice[]): Set<string> {
  const exposed = new Set<string>();
  for (const ing of ingresses) for (const svc of ingressServices(ing)) exposed.add(`${ing.metadata?.namespace}/${svc}`);
  const out = new Set<string>();
  const add = (ns: string | undefined, ref: { kind?: string; name?: string } | undefined): void => {
    if (ref?.kind === 'Pod' && ref.name && ns) out.add(`${ns}/${ref.name}`);
  };
  for (const ep of endpoints) {
    const ns = ep.metadata?.namespace;
    if (!exposed.has(`${ns}/${ep.metadata?.name}`)) continue;
    for (const subset of ep.subsets ?? []) for (const a of [...(subset.addresses ?? []), ...(subset.notReadyAddresses ?? [])]) add(ns, a.targetRef);
  }
  for (const slice of slices) {
    const ns = slice.metadata?.namespace;
    const svc = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svc || !exposed.has(`${ns}/${svc}`)) continue;
    for (const e of slice.endpoints ?? []) add(ns, e.targetRef);
  }
  return out;
}

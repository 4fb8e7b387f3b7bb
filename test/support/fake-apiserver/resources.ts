// The API resources the fake serves, as discovery would describe them.

export interface ResourceInfo {
  /** URL plural, e.g. "pods". */
  resource: string;
  /** API group ("" for core). */
  group: string;
  version: string;
  kind: string;
}

export const RESOURCES: ResourceInfo[] = [
  { resource: 'pods', group: '', version: 'v1', kind: 'Pod' },
  { resource: 'services', group: '', version: 'v1', kind: 'Service' },
  { resource: 'endpoints', group: '', version: 'v1', kind: 'Endpoints' },
  { resource: 'secrets', group: '', version: 'v1', kind: 'Secret' },
  { resource: 'serviceaccounts', group: '', version: 'v1', kind: 'ServiceAccount' },
  { resource: 'deployments', group: 'apps', version: 'v1', kind: 'Deployment' },
  { resource: 'replicasets', group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  { resource: 'networkpolicies', group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  { resource: 'roles', group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
  { resource: 'rolebindings', group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
  { resource: 'ingresses', group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
  { resource: 'endpointslices', group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
  { resource: 'jobs', group: 'batch', version: 'v1', kind: 'Job' },
];

/** Subresources served: `serviceaccounts/token` (TokenRequest), `pods/log`, `pods/exec`. */
export const SUBRESOURCES: Record<string, string[]> = { serviceaccounts: ['token'], pods: ['log', 'exec'] };

export function apiVersionOf(r: ResourceInfo): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

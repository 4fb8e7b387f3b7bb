// Which pods run a given image. References are compared in canonical form so
// `nginx:1.25`, `library/nginx:1.25` and `docker.io/library/nginx:1.25` are
// the same image; a digest reference also matches the digest the kubelet
// reports in the container statuses.

export interface PodImages {
  spec?: { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }>; ephemeralContainers?: Array<{ image?: string }> };
  status?: { containerStatuses?: Array<{ image?: string; imageID?: string }>; initContainerStatuses?: Array<{ image?: string; imageID?: string }> };
}

/** Canonical `registry/repository[:tag][@digest]`, with docker.io/library and :latest filled in. */
export function canonicalImage(ref: string): string {
  let rest = ref.trim().replace(/^docker-pullable:\/\//, '');
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at); rest = rest.slice(0, at); }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first : 'docker.io';
  let repo = hasRegistry ? rest.slice(slash + 1) : rest;
  if (registry === 'index.docker.io') registry = 'docker.io';
  if (registry === 'docker.io' && !repo.includes('/')) repo = `library/${repo}`;
  const lastSlash = repo.lastIndexOf('/');
  if (!repo.slice(lastSlash + 1).includes(':') && !digest) repo += ':latest';
  return `${registry}/${repo}${digest}`;
}

function digestOf(ref: string): string | undefined {
  const at = ref.indexOf('@');
  return at >= 0 ? ref.slice(at + 1) : undefined;
}

export function podRunsImage(pod: PodImages, image: string): boolean {
  const wanted = canonicalImage(image);
  const wantedDigest = digestOf(image);
  const specImages = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []), ...(pod.spec?.ephemeralContainers ?? [])]
    .map((c) => c.image).filter((i): i is string => !!i);
  if (specImages.some((i) => canonicalImage(i) === wanted)) return true;
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return statuses.some((s) => (s.image && canonicalImage(s.image) === wanted) || (wantedDigest !== undefined && s.imageID !== undefined && digestOf(s.imageID) === wantedDigest));
}

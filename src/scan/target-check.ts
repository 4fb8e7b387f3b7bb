// What a scan target may be, checked wherever one enters (scan action, scan
// API, schedules) before it can reach a scanner's argv: an image reference
// by the distribution grammar, pod parts as Kubernetes DNS names, a URL as
// http(s). None of these grammars lets a value start with `-`, so event text
// can never become a scanner option such as `--output=/tmp/x`.

import type { ScanTarget } from './types.js';

// github.com/distribution/reference: [domain[:port]/]path[:tag][@digest]
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const MAX_IMAGE_NAME = 255;

const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

export function imageReferenceProblem(image: string): string | undefined {
  const name = image.split('@')[0]!.replace(/:[\w][\w.-]{0,127}$/, '');
  if (!IMAGE_REFERENCE.test(image) || name.length > MAX_IMAGE_NAME) {
    return `image ${JSON.stringify(image.slice(0, 300))} is not an image reference ([registry[:port]/]repository[:tag][@digest])`;
  }
  return undefined;
}

/** Why a target cannot be scanned, or undefined when it can. */
export function scanTargetProblem(target: ScanTarget): string | undefined {
  if ('image' in target) return typeof target.image === 'string' ? imageReferenceProblem(target.image) : 'image must be a string';
  if ('url' in target) {
    let u: URL;
    try { u = new URL(target.url); } catch { return `url ${JSON.stringify(String(target.url).slice(0, 300))} is not a URL`; }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `url ${JSON.stringify(target.url.slice(0, 300))} must be http or https`;
    return undefined;
  }
  const { namespace, name, container } = target.pod;
  if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) return `pod namespace ${JSON.stringify(namespace)} is not a Kubernetes namespace name (DNS label)`;
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) return `pod name ${JSON.stringify(name)} is not a Kubernetes pod name (DNS subdomain)`;
  if (container !== undefined && (typeof container !== 'string' || !DNS_LABEL.test(container))) return `container ${JSON.stringify(container)} is not a Kubernetes container name (DNS label)`;
  return undefined;
}

// Chooses the pods a delivery acts on, refusing selections that are empty,
// unresolved, invalid or (unless asked for with `kube-label-selector: ""`)
// the whole namespace.

import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClients } from './client.js';
import { formatSelector, selectorMatches, type Requirement } from './label-selector.js';
import { podRunsImage } from './images.js';

export class SelectionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectionRefused';
  }
}

export interface Selection {
  pods: V1Pod[];
  /** The selector sent to the apiserver ('' = none). */
  selector: string;
  /** Pods in the namespace, for the record. */
  namespaceTotal: number;
}

export interface SelectionRequest {
  namespace: string;
  /** Resolved requirements; undefined when only the image selects. */
  requirements?: Requirement[];
  explicitAll: boolean;
  image?: string;
  log(line: string): void;
}

export async function selectPods(clients: KubeClients, req: SelectionRequest): Promise<Selection> {
  const selector = req.requirements ? formatSelector(req.requirements) : '';
  if (req.requirements && req.requirements.length === 0 && !req.explicitAll) {
    throw new SelectionRefused('the label selector is empty; write kube-label-selector: "" to mean every pod of the namespace');
  }
  const all = (await clients.core.listNamespacedPod({ namespace: req.namespace })).items;
  let pods = all;
  if (selector !== '') {
    const listed = (await clients.core.listNamespacedPod({ namespace: req.namespace, labelSelector: selector })).items;
    // Double-check the apiserver's answer: a proxy that drops the query would hand back everything.
    pods = listed.filter((p) => selectorMatches(req.requirements!, p.metadata?.labels));
    if (pods.length !== listed.length) {
      throw new SelectionRefused(`the apiserver returned ${listed.length - pods.length} pod(s) that do not match '${selector}'; refusing to act`);
    }
  }
  if (req.image !== undefined) pods = pods.filter((p) => podRunsImage(p, req.image!));
  if (!req.explicitAll && all.length > 0 && pods.length === all.length) {
    const by = [selector && `selector '${selector}'`, req.image && `image ${req.image}`].filter(Boolean).join(' and ');
    throw new SelectionRefused(`${by} matches every pod of namespace ${req.namespace} (${all.length}); write kube-label-selector: "" if that is meant`);
  }
  req.log(`selected ${pods.length} of ${all.length} pods in ${req.namespace}${selector ? ` with '${selector}'` : ''}${req.image ? ` running ${req.image}` : ''}`);
  return { pods, selector, namespaceTotal: all.length };
}

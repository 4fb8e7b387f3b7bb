// Validates a `type: kubernetes` action block of cfg.yaml.

import type { ConfigProblem } from '../types.js';
import { EventRefError, isEventRef, parseEventRef } from '../event-ref.js';
import { parseSelector, SelectorError, toLabelSelectorObject, type Requirement } from './label-selector.js';
import { isDnsLabel, labelValueProblem, qualifiedNameProblem } from './label-values.js';

export type KubeTarget = 'pods' | 'deployments';

export interface KubernetesActionConfig {
  name: string;
  /** Literal namespace or an event reference. */
  namespace: string;
  configFile?: string;
  /**
   * Parsed selector; `explicitAll` only when the user wrote `kube-label-selector: ""`.
   * Undefined when no selector key was given (then `image` selects).
   */
  selector?: { text: string; requirements: Requirement[]; explicitAll: boolean };
  /** Literal image or an event reference: only pods running it are selected. */
  image?: string;
  labels: Array<[string, string]>;
  annotations: Array<[string, string]>;
  deletePods: boolean;
  isolate: boolean;
  targets: KubeTarget[];
  dryRun: boolean;
}

export const KUBERNETES_KEYS = ['kube-namespace', 'kube-config-file', 'kube-label-selector', 'kube-image', 'kube-actions', 'dry-run'];
const ACTION_KEYS = ['labels', 'annotations', 'delete-pods', 'isolate', 'target'];

export function parseKubernetesConfig(config: Record<string, unknown>): { config?: KubernetesActionConfig; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const problem = (path: string, message: string): void => { problems.push({ path, message }); };
  const checkRef = (path: string, value: string): boolean => {
    if (!isEventRef(value)) return false;
    try { parseEventRef(value); } catch (e) { problem(path, e instanceof EventRefError ? e.message : String(e)); }
    return true;
  };

  const namespace = config['kube-namespace'];
  if (typeof namespace !== 'string' || namespace === '') problem('kube-namespace', 'required: a namespace or an event.input reference');
  else if (!checkRef('kube-namespace', namespace) && !isDnsLabel(namespace)) problem('kube-namespace', `'${namespace}' is not a valid namespace name`);

  const configFile = config['kube-config-file'];
  if (configFile !== undefined && (typeof configFile !== 'string' || configFile === '')) problem('kube-config-file', 'must be a path');

  let selector: KubernetesActionConfig['selector'];
  const rawSelector = config['kube-label-selector'];
  if (rawSelector !== undefined && rawSelector !== null) {
    if (typeof rawSelector !== 'string') problem('kube-label-selector', 'must be a string such as "app=web,tier in (front)"');
    else if (rawSelector === '') selector = { text: '', requirements: [], explicitAll: true };
    else if (rawSelector.trim() === '') problem('kube-label-selector', 'is blank; write "" to mean every pod of the namespace');
    else {
      try {
        selector = { text: rawSelector, requirements: parseSelector(rawSelector), explicitAll: false };
      } catch (e) {
        problem('kube-label-selector', e instanceof SelectorError ? e.message : String(e));
      }
    }
  }

  const image = config['kube-image'];
  if (image !== undefined && (typeof image !== 'string' || image.trim() === '')) problem('kube-image', 'must be an image reference or an event.input reference');
  else if (typeof image === 'string') checkRef('kube-image', image);

  const actions = (config['kube-actions'] ?? {}) as Record<string, unknown>;
  if (typeof actions !== 'object' || Array.isArray(actions)) problem('kube-actions', 'must be a map');
  for (const k of Object.keys(actions)) if (!ACTION_KEYS.includes(k)) problem(`kube-actions.${k}`, `unknown; expected one of ${ACTION_KEYS.join(', ')}`);

  const readMap = (key: 'labels' | 'annotations'): Array<[string, string]> => {
    const raw = actions[key];
    if (raw === undefined || raw === null) return [];
    if (typeof raw !== 'object' || Array.isArray(raw)) { problem(`kube-actions.${key}`, 'must be a map'); return []; }
    const out: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(raw)) {
      const path = `kube-actions.${key}.${k}`;
      const keyProblem = qualifiedNameProblem(key === 'annotations' ? k.toLowerCase() : k);
      if (keyProblem) { problem(path, keyProblem); continue; }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') { problem(path, 'value must be a string'); continue; }
      const value = String(v);
      // Literal label values are the user's to fix; only event values are made valid.
      if (!checkRef(path, value) && key === 'labels') {
        const p = labelValueProblem(value);
        if (p) { problem(path, p); continue; }
      }
      out.push([k, value]);
    }
    return out;
  };
  const labels = readMap('labels');
  const annotations = readMap('annotations');

  const flag = (path: string, v: unknown): boolean => {
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') problem(path, 'must be true or false');
    return v === true;
  };
  const deletePods = flag('kube-actions.delete-pods', actions['delete-pods']);
  const isolate = flag('kube-actions.isolate', actions.isolate);
  const dryRun = flag('dry-run', config['dry-run']);

  const rawTarget = actions.target ?? 'pods';
  const targets = (Array.isArray(rawTarget) ? rawTarget : [rawTarget]) as KubeTarget[];
  if (targets.length === 0 || targets.some((t) => t !== 'pods' && t !== 'deployments')) problem('kube-actions.target', 'must be pods, deployments or a list of both');

  if (!selector && image === undefined) problem('kube-label-selector', 'required (or kube-image): which pods to act on; write "" explicitly to mean every pod of the namespace');
  if (labels.length === 0 && annotations.length === 0 && !deletePods && !isolate) problem('kube-actions', 'nothing to do: give labels, annotations, delete-pods or isolate');
  if (isolate) {
    if (!selector) problem('kube-actions.isolate', 'needs kube-label-selector: a NetworkPolicy selects pods by label');
    else {
      try { toLabelSelectorObject(selector.requirements); } catch (e) { problem('kube-actions.isolate', e instanceof Error ? e.message : String(e)); }
    }
  }
  if (targets.includes('deployments') && labels.length === 0 && annotations.length === 0) problem('kube-actions.target', 'deployments only receive labels and annotations; give some');

  if (problems.length > 0) return { problems };
  return {
    config: {
      name: typeof config.name === 'string' ? config.name : '',
      namespace: namespace as string,
      configFile: configFile as string | undefined,
      selector,
      image: image as string | undefined,
      labels,
      annotations,
      deletePods,
      isolate,
      targets: [...new Set(targets)],
      dryRun,
    },
    problems,
  };
}

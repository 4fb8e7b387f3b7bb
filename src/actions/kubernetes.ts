// `type: kubernetes`: acts on the pods an event points at — labels and
// annotations (on pods and/or their Deployments), deletion, network
// isolation. Everything the delivery needs from the event is resolved and
// checked before the first change, and a selection that is empty, unresolved,
// invalid or the whole namespace (unless asked for with
// `kube-label-selector: ""`) fails the delivery without changing anything.

import type { V1Pod } from '@kubernetes/client-node';
import type { Action, ActionFactory, DeliveryContext, DeliveryResult } from './types.js';
import { EventRefError, isEventRef, resolveEventRef, resolveEventRefText } from './event-ref.js';
import { apiFailure, isStatus } from './kubernetes/api-errors.js';
import { loadKubeClients, type KubeClients } from './kubernetes/client.js';
import { KUBERNETES_KEYS, parseKubernetesConfig, type KubernetesActionConfig } from './kubernetes/config.js';
import { ensureIsolation, isolationPolicy } from './kubernetes/isolate.js';
import { resolveSelector, selectorMatches, SelectorError, type Requirement } from './kubernetes/label-selector.js';
import { isDnsLabel, toLabelValue } from './kubernetes/label-values.js';
import { patchMetadata, type MetadataChange } from './kubernetes/metadata-patch.js';
import { owningDeployments } from './kubernetes/owners.js';
import { SelectionRefused, selectPods } from './kubernetes/select-pods.js';
import { ActionSetupError, defineAction } from './define.js';

/** A problem found before any change: the delivery fails and nothing was touched. */
class Unresolvable extends Error {}

interface ResolvedDelivery {
  namespace: string;
  requirements?: Requirement[];
  image?: string;
  change: MetadataChange;
}

function resolveDelivery(cfg: KubernetesActionConfig, event: unknown, log: (l: string) => void): ResolvedDelivery {
  const namespace = isEventRef(cfg.namespace) ? resolveEventRefText(event, cfg.namespace) : cfg.namespace;
  if (!isDnsLabel(namespace)) throw new Unresolvable(`namespace '${namespace}' (from ${cfg.namespace}) is not a valid namespace name`);

  const requirements = cfg.selector && resolveSelector(cfg.selector.requirements, event);

  let image: string | undefined;
  if (cfg.image !== undefined) {
    const v = isEventRef(cfg.image) ? resolveEventRef(event, cfg.image) : cfg.image;
    if (typeof v !== 'string' || v.trim() === '') throw new Unresolvable(`kube-image ${cfg.image} did not resolve to an image reference`);
    image = v.trim();
  }

  const labels: Record<string, string> = {};
  for (const [key, raw] of cfg.labels) {
    if (!isEventRef(raw)) { labels[key] = raw; continue; }
    const value = resolveEventRefText(event, raw);
    const valid = toLabelValue(value);
    if (valid === undefined) throw new Unresolvable(`label ${key}: ${raw} = '${value}' has nothing usable as a label value`);
    if (valid !== value) log(`label ${key}: '${value}' made a valid label value '${valid}'`);
    labels[key] = valid;
  }
  const annotations: Record<string, string> = {};
  for (const [key, raw] of cfg.annotations) annotations[key] = isEventRef(raw) ? resolveEventRefText(event, raw) : raw;
  return { namespace, requirements, image, change: { labels, annotations } };
}

const describeChange = (c: MetadataChange): string => [
  Object.keys(c.labels).length ? `labels ${Object.entries(c.labels).map(([k, v]) => `${k}=${v}`).join(',')}` : '',
  Object.keys(c.annotations).length ? `annotations ${Object.keys(c.annotations).join(',')}` : '',
].filter(Boolean).join('; ');

class KubernetesAction implements Action {
  readonly type = 'kubernetes';
  readonly name: string;

  constructor(private readonly cfg: KubernetesActionConfig, private readonly clients: KubeClients) {
    this.name = cfg.name;
  }

  async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
    const { cfg, clients } = this;
    const log = (l: string): void => ctx.log(l);
    let r: ResolvedDelivery;
    try {
      r = resolveDelivery(cfg, ctx.event, log);
    } catch (e) {
      if (e instanceof EventRefError || e instanceof SelectorError || e instanceof Unresolvable) {
        return { ok: false, retryable: false, changed: [], detail: `nothing changed: ${e.message}` };
      }
      throw e;
    }

    let pods: V1Pod[];
    try {
      ({ pods } = await selectPods(clients, {
        namespace: r.namespace, requirements: r.requirements, explicitAll: cfg.selector?.explicitAll ?? false, image: r.image, log,
      }));
    } catch (e) {
      if (e instanceof SelectionRefused) return { ok: false, retryable: false, changed: [], detail: `nothing changed: ${e.message}` };
      const f = apiFailure(e);
      return { ok: false, retryable: f.retryable, changed: [], detail: `nothing changed: listing pods in ${r.namespace} failed: ${f.message}` };
    }
    if (pods.length === 0) return { ok: true, changed: [], detail: `no pods matched in ${r.namespace}` };

    const changed: string[] = [];
    const would = cfg.dryRun ? 'would be ' : '';
    const dryRun = cfg.dryRun ? 'All' : undefined;
    try {
      const what = describeChange(r.change);
      if (what && cfg.targets.includes('pods')) {
        for (const pod of pods) {
          const name = pod.metadata!.name!;
          const outcome = await patchMetadata({
            read: () => clients.core.readNamespacedPod({ name, namespace: r.namespace }),
            patch: (body, dry, options) => clients.core.patchNamespacedPod({ name, namespace: r.namespace, body, dryRun: dry ? 'All' : undefined }, options),
          }, pod, r.change, {
            dryRun: cfg.dryRun, log,
            // After a conflict the pod may have been relabelled out of the selection.
            stillSelected: (p) => !r.requirements || selectorMatches(r.requirements, p.metadata?.labels),
          });
          if (outcome === 'changed') changed.push(`pod ${r.namespace}/${name} ${would}patched: ${what}`);
          else log(`pod ${r.namespace}/${name}: ${outcome}`);
        }
      }
      if (what && cfg.targets.includes('deployments')) {
        for (const dep of await owningDeployments(clients, r.namespace, pods, log)) {
          const name = dep.metadata!.name!;
          const outcome = await patchMetadata({
            read: () => clients.apps.readNamespacedDeployment({ name, namespace: r.namespace }),
            patch: (body, dry, options) => clients.apps.patchNamespacedDeployment({ name, namespace: r.namespace, body, dryRun: dry ? 'All' : undefined }, options),
          }, dep, r.change, { dryRun: cfg.dryRun, log });
          if (outcome === 'changed') changed.push(`deployment ${r.namespace}/${name} ${would}patched: ${what}`);
          else log(`deployment ${r.namespace}/${name}: ${outcome}`);
        }
      }
      if (cfg.isolate) {
        const policy = isolationPolicy(r.namespace, r.requirements ?? [], this.name);
        const outcome = await ensureIsolation(clients, policy, cfg.dryRun);
        if (outcome === 'exists') log(`networkpolicy ${r.namespace}/${policy.metadata!.name} already isolates these pods`);
        else changed.push(`networkpolicy ${r.namespace}/${policy.metadata!.name} ${would}${outcome}`);
      }
      if (cfg.deletePods) {
        for (const pod of pods) {
          const name = pod.metadata!.name!;
          try {
            // The uid precondition keeps a same-named successor (StatefulSet) from being deleted in its place.
            await clients.core.deleteNamespacedPod({ name, namespace: r.namespace, dryRun, body: { preconditions: { uid: pod.metadata?.uid } } });
            changed.push(`pod ${r.namespace}/${name} ${would}deleted`);
          } catch (e) {
            if (isStatus(e, 404) || isStatus(e, 409)) log(`pod ${r.namespace}/${name} is already gone`);
            else throw e;
          }
        }
      }
    } catch (e) {
      const f = apiFailure(e);
      return { ok: false, retryable: f.retryable, changed, detail: `${f.message} (after ${changed.length} change(s))` };
    }
    const summary = `${pods.length} pod(s) selected in ${r.namespace}, ${changed.length} object(s) ${cfg.dryRun ? 'would change (dry run)' : 'changed'}`;
    return { ok: true, changed, detail: summary };
  }
}

export const kubernetesAction: ActionFactory = defineAction<KubernetesActionConfig>({
  type: 'kubernetes',
  keys: KUBERNETES_KEYS,
  parse(r) {
    const { config: cfg, problems } = parseKubernetesConfig(r.config);
    r.problems.push(...problems);
    return cfg;
  },
  build(cfg, { env }) {
    let clients: KubeClients;
    try {
      clients = loadKubeClients(cfg.configFile, env);
    } catch (e) {
      throw new ActionSetupError(cfg.configFile ? 'kube-config-file' : 'KUBECONFIG', e instanceof Error ? e.message : String(e));
    }
    return new KubernetesAction(cfg, clients);
  },
});

// The cluster vulnerability exporter: every SCAN_INTERVAL it lists running
// pods, scans each distinct image once (by digest), and exports the gauge
// `pod_security_issue` (one series per pod and vulnerability). Series of pods
// that are gone disappear at the next round. trivy-operator
// VulnerabilityReports posted as events feed the same series.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, V1Pod } from '@kubernetes/client-node';
import type { NormalizedReport } from './findings.js';
import { normalizeTrivyOperator, isVulnerabilityReport } from './normalize/trivy-operator.js';
import { publicPods } from './public-pods.js';
import { apiMessage } from './runners/kube.js';

export const DEFAULT_SCAN_INTERVAL_S = 43_200;
export const POD_SECURITY_LABELS = ['PodName', 'Namespace', 'Image', 'IsPublic', 'BaseOS', 'VulnerabilityID', 'PkgName', 'InstalledVersion', 'FixedVersion', 'Severity'] as const;
type SeriesLabels = Record<(typeof POD_SECURITY_LABELS)[number], string>;

/** Scans one image; `registryAuth` is the .dockerconfigjson of the pod's pull secret, when it has one. */
export type ImageScanner = (image: string, registryAuth: string | undefined) => Promise<NormalizedReport>;

export interface ClusterExporterOptions {
  core: CoreV1Api;
  networking: NetworkingV1Api;
  discovery?: DiscoveryV1Api;
  registry: Registry;
  scanImage: ImageScanner;
  intervalMs?: number;
  log?(line: string): void;
  now?(): number;
}

/** SCAN_INTERVAL (seconds) from the environment, default 12 h. */
export function scanIntervalMs(env: NodeJS.ProcessEnv): number {
  const v = Number(env.SCAN_INTERVAL ?? DEFAULT_SCAN_INTERVAL_S);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`SCAN_INTERVAL must be a positive number of seconds, got ${env.SCAN_INTERVAL}`);
  return v * 1000;
}

interface ContainerImage { pod: V1Pod; image: string; digestKey: string; pullSecrets: string[] }

export class ClusterExporter {
  private readonly gauge: Gauge<(typeof POD_SECURITY_LABELS)[number]>;
  private readonly skipped: Counter<'reason'>;
  private readonly scanned: Counter<'outcome'>;
  /** digest -> report and when it was scanned (one scan per image per interval). */
  private readonly cache = new Map<string, { at: number; report: NormalizedReport }>();
  /** Series fed from VulnerabilityReports, keyed `namespace/pod/container`. */
  private readonly operatorSeries = new Map<string, SeriesLabels[]>();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: ClusterExporterOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_SCAN_INTERVAL_S * 1000;
    this.now = opts.now ?? Date.now;
    this.gauge = new Gauge({ name: 'pod_security_issue', help: 'Vulnerabilities of images of running pods (1 per pod and vulnerability)', labelNames: POD_SECURITY_LABELS, registers: [opts.registry] });
    this.skipped = new Counter({ name: 'hooker_cluster_scan_skipped_total', help: 'Images the cluster scan skipped', labelNames: ['reason'] as const, registers: [opts.registry] });
    this.scanned = new Counter({ name: 'hooker_cluster_scan_images_total', help: 'Images scanned by the cluster scan', labelNames: ['outcome'] as const, registers: [opts.registry] });
  }

  private log(line: string): void { this.opts.log?.(line); }

  start(): void {
    const tick = (): void => {
      this.round = this.runOnce().catch((e: unknown) => this.log(`cluster scan failed: ${apiMessage(e)}`));
      this.timer = setTimeout(tick, this.intervalMs);
      this.timer.unref?.();
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.round;
  }

  /** Drops the exported series and the scan cache (leadership passed to another replica). */
  forget(): void {
    this.gauge.reset();
    this.cache.clear();
    this.operatorSeries.clear();
  }

  /** One round: list, scan what is not cached for this interval, replace the series. */
  async runOnce(): Promise<void> {
    const { core, networking, discovery } = this.opts;
    const [pods, ingresses, endpoints, slices] = await Promise.all([
      core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' }),
      networking.listIngressForAllNamespaces(),
      core.listEndpointsForAllNamespaces(),
      discovery ? discovery.listEndpointSliceForAllNamespaces().then((l) => l.items) : Promise.resolve([]),
    ]);
    const exposed = publicPods(ingresses.items, endpoints.items, slices);
    const images = pods.items.flatMap((pod) => containerImages(pod));
    const secrets = new Map<string, Promise<string | { skip: string }>>();
    const series: SeriesLabels[] = [];
    for (const ci of images) {
      const ns = ci.pod.metadata?.namespace ?? '';
      let cached = this.cache.get(ci.digestKey);
      if (!cached || this.now() - cached.at >= this.intervalMs) {
        let auth: string | undefined;
        for (const name of ci.pullSecrets) {
          const key = `${ns}/${name}`;
          if (!secrets.has(key)) secrets.set(key, this.pullSecret(ns, name));
          const got = await secrets.get(key)!;
          if (typeof got === 'string') { auth = got; break; }
          this.log(`cluster scan: skipping image ${ci.image} of pod ${ns}/${ci.pod.metadata?.name}: ${got.skip}`);
          this.skipped.inc({ reason: got.skip.startsWith('secret') && got.skip.includes('not found') ? 'pull_secret_missing' : 'pull_secret_invalid' });
          auth = undefined;
          cached = undefined;
          break;
        }
        if (ci.pullSecrets.length > 0 && auth === undefined) continue;
        try {
          cached = { at: this.now(), report: await this.opts.scanImage(ci.image, auth) };
          this.cache.set(ci.digestKey, cached);
          this.scanned.inc({ outcome: 'ok' });
        } catch (e) {
          this.scanned.inc({ outcome: 'error' });
          this.log(`cluster scan: scanning ${ci.image} failed: ${e instanceof Error ? e.message : String(e)}`);
          continue;
        }
      }
      const isPublic = exposed.has(`${ns}/${ci.pod.metadata?.name}`);
      for (const f of cached.report.findings) {
        if (!f.vulnerability) continue;
        series.push(labelsFor(ci.pod, ci.image, isPublic, cached.report.baseOs, f));
      }
    }
    // Operator-fed series count only while their pod still runs.
    const running = new Set(pods.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`));
    for (const [key, list] of this.operatorSeries) {
      const podKey = key.split('/').slice(0, 2).join('/');
      if (!running.has(podKey)) { this.operatorSeries.delete(key); continue; }
      for (const l of list) series.push({ ...l, IsPublic: String(exposed.has(podKey)) });
    }
    // Replace in one synchronous step so a scrape never sees a half-built set.
    this.gauge.reset();
    for (const l of series) this.gauge.set(l, 1);
  }

  /**
   * Feeds the series from a trivy-operator VulnerabilityReport event: the
   * report names its workload (labels trivy-operator.resource.*) and container;
   * every running pod of that workload gets the report's vulnerabilities.
   */
  async applyVulnerabilityReport(doc: unknown): Promise<number> {
    if (!isVulnerabilityReport(doc)) return 0;
    const meta = (doc as { metadata?: { labels?: Record<string, string>; namespace?: string } }).metadata ?? {};
    const labels = meta.labels ?? {};
    const ns = labels['trivy-operator.resource.namespace'] ?? meta.namespace;
    const kind = labels['trivy-operator.resource.kind'];
    const owner = labels['trivy-operator.resource.name'];
    const container = labels['trivy-operator.container.name'];
    if (!ns || !kind || !owner) return 0;
    const report = normalizeTrivyOperator(doc);
    const pods = (await this.opts.core.listNamespacedPod({ namespace: ns })).items.filter((p) => p.status?.phase === 'Running' && (
      kind === 'Pod' ? p.metadata?.name === owner : (p.metadata?.ownerReferences ?? []).some((o) => o.kind === kind && o.name === owner)));
    for (const pod of pods) {
      const c = pod.spec?.containers.find((x) => x.name === container) ?? pod.spec?.containers[0];
      const image = report.artifact ?? c?.image ?? '';
      const list = report.findings.map((f) => labelsFor(pod, image, false, report.baseOs, f));
      this.operatorSeries.set(`${ns}/${pod.metadata?.name}/${c?.name ?? ''}`, list);
      for (const l of list) this.gauge.set(l, 1);
    }
    return pods.length;
  }

  private async pullSecret(namespace: string, name: string): Promise<string | { skip: string }> {
    try {
      const s = await this.opts.core.readNamespacedSecret({ name, namespace });
      const data = s.data?.['.dockerconfigjson'];
      if (!data) return { skip: `secret ${namespace}/${name} has no .dockerconfigjson key` };
      return Buffer.from(data, 'base64').toString('utf8');
    } catch (e) {
      return { skip: `secret ${namespace}/${name} not found or unreadable (${apiMessage(e)})` };
    }
  }
}

function containerImages(pod: V1Pod): ContainerImage[] {
  const pullSecrets = (pod.spec?.imagePullSecrets ?? []).map((s) => s.name).filter((n): n is string => !!n);
  return (pod.spec?.containers ?? []).map((c) => {
    const status = pod.status?.containerStatuses?.find((s) => s.name === c.name);
    // imageID carries the digest the node actually runs: the same image under two tags is scanned once.
    const digest = /sha256:[0-9a-f]{64}/.exec(status?.imageID ?? '')?.[0];
    return { pod, image: c.image ?? '', digestKey: digest ?? c.image ?? '', pullSecrets };
  }).filter((ci) => ci.image !== '');
}

function labelsFor(pod: V1Pod, image: string, isPublic: boolean, baseOs: string | undefined, f: NormalizedReport['findings'][number]): SeriesLabels {
  return {
    PodName: pod.metadata?.name ?? '', Namespace: pod.metadata?.namespace ?? '', Image: image, IsPublic: String(isPublic), BaseOS: baseOs ?? 'unknown',
    VulnerabilityID: f.id, PkgName: f.package ?? '', InstalledVersion: f.installedVersion ?? '', FixedVersion: f.fixedVersion ?? '', Severity: f.severity.toUpperCase(),
  };
}

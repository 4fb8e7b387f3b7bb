// Scan triggering inside the server: the durable scan queue and its worker
// (same SQLite file as the inbox), the `scan` action's service, the scan API
// under /api/v1 and the schedules. Scan results come back through `ingest`
// as `scan.completed` events that routes match like any other.
//
// The scanners, profiles, thresholds and schedules are read at start; a
// reload of cfg.yaml does not change them (restart to apply).

import type { FastifyInstance } from 'fastify';
import { kubernetesClient } from '../lazy-libraries.js';
import type { Registry } from 'prom-client';
import type { Store } from '../store/types.js';
import { ScanService, type IngestCallback } from '../scan/service.js';
import { createRunner } from '../scan/runners/index.js';
import { scanApiPlugin, scanApiTokensFromEnv } from '../scan/api.js';
import { Scheduler } from '../scan/schedules.js';
import { emptyScanConfig, type ScanConfig } from '../scan/config.js';
import { ClusterExporter, scanIntervalMs } from '../scan/exporter.js';
import { imageScannerFrom } from '../scan/image-scanner.js';
import { loadKubeAccess } from '../scan/runners/kube.js';
import { isVulnerabilityReport } from '../scan/normalize/trivy-operator.js';

export interface ScanningOptions {
  store: Store;
  config?: ScanConfig;
  env: NodeJS.ProcessEnv;
  ingest: IngestCallback;
  log: (line: string) => void;
  publicUrl?: string;
  /** Where the cluster exporter's pod_security_issue gauge is registered (the server's /metrics). */
  registry: Registry;
}

export interface Scanning {
  service: ScanService;
  /** Mounts the scan API (/api/v1/...) on an app. */
  register(app: FastifyInstance): Promise<void>;
  /** Feeds trivy-operator VulnerabilityReports posted as events to the exporter. */
  observe(event: unknown): void;
  /** Whether observe reads events at all (the cluster exporter runs): else ingest need not parse an event for it. */
  readonly observes: boolean;
  close(): Promise<void>;
}

export async function startScanning(opts: ScanningOptions): Promise<Scanning> {
  const config = opts.config ?? emptyScanConfig();
  const fromEnv = scanApiTokensFromEnv(opts.env);
  for (const p of fromEnv.problems) opts.log(`HOOKER_SCAN_API_TOKENS: ${p}`);
  const service = new ScanService({
    store: opts.store.scans,
    config,
    createRunner: (def) => createRunner(def, opts.env),
    ingest: opts.ingest,
    concurrency: config.api.concurrency,
    log: opts.log,
  });
  await service.start();
  const scheduler = new Scheduler(config.schedules, opts.ingest, opts.log, Date.now, (name, tick) => opts.store.cluster.claimTick(name, tick));
  scheduler.start();
  const tokens = [...config.api.tokens, ...fromEnv.tokens];
  const exporter = startExporter(config, opts);
  // With replicas, one of them runs the cluster exporter: whoever holds the lock; the others try again.
  const leading = exporter ? leadExporter(exporter, opts) : undefined;
  return {
    service,
    async register(app) {
      await app.register(scanApiPlugin, { service, tokens, publicUrl: opts.publicUrl });
    },
    observes: exporter !== undefined,
    observe(event) {
      if (exporter && isVulnerabilityReport(event)) {
        exporter.applyVulnerabilityReport(event).catch((e: Error) => opts.log(`pod_security_issue: ${e.message}`));
      }
    },
    async close() {
      await leading?.stop();
      scheduler.stop();
      await service.stop();
    },
  };
}

/**
 * The cluster vulnerability exporter runs when HOOKER_CLUSTER_SCANNER names
 * one of the configured scanners: every SCAN_INTERVAL seconds (default
 * 43200) it scans the images of running pods and exports pod_security_issue.
 */
function startExporter(config: ScanConfig, opts: ScanningOptions): ClusterExporter | undefined {
  const name = opts.env.HOOKER_CLUSTER_SCANNER;
  if (!name) return undefined;
  const def = config.scanners.get(name);
  if (!def) throw new Error(`HOOKER_CLUSTER_SCANNER names scanner "${name}", which is not defined in scanners`);
  const kube = loadKubeAccess(undefined, opts.env);
  const exporter = new ClusterExporter({
    core: kube.core,
    networking: kube.networking,
    discovery: kube.kc.makeApiClient(kubernetesClient().DiscoveryV1Api),
    registry: opts.registry,
    intervalMs: scanIntervalMs(opts.env),
    scanImage: imageScannerFrom(def, createRunner(def, opts.env), opts.log),
    log: opts.log,
  });
  return exporter;
}

const LEADERSHIP_RETRY_MS = 5_000;

/**
 * Runs the exporter while this replica holds the "cluster-exporter" lock
 * (a PostgreSQL session advisory lock: released when the holder's connection
 * dies, so a replica that dies hands over within one retry period).
 */
function leadExporter(exporter: ClusterExporter, opts: ScanningOptions): { stop(): Promise<void> } {
  let stopped = false;
  let running = false;
  let lead: Awaited<ReturnType<Store['cluster']['tryLead']>>;
  let timer: NodeJS.Timeout | undefined;
  const check = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (lead && !lead.held()) {
        opts.log('cluster exporter: lost its leadership (database connection dropped); stopping');
        lead = undefined;
        // Its series go too: another replica exports them now, and a scrape of both must not count them twice.
        if (running) { running = false; await exporter.stop(); exporter.forget(); }
      }
      if (!lead) {
        lead = await opts.store.cluster.tryLead('cluster-exporter');
        if (lead && opts.store.engine === 'postgres') opts.log('cluster exporter: this replica leads it now (advisory lock "cluster-exporter")');
      }
      if (lead && !running && !stopped) { running = true; exporter.start(); }
    } catch (e) {
      opts.log(`cluster exporter: leadership check failed: ${(e as Error).message}`);
    }
    if (!stopped) { timer = setTimeout(() => void check(), LEADERSHIP_RETRY_MS); timer.unref?.(); }
  };
  const first = check();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await first;
      if (running) await exporter.stop();
      await lead?.release();
    },
  };
}

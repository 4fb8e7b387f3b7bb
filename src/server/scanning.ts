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
import type { SqliteDatabase } from '../store/db.js';
import { ScanStore } from '../store/scans.js';
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
  db: SqliteDatabase;
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
  close(): Promise<void>;
}

export async function startScanning(opts: ScanningOptions): Promise<Scanning> {
  const config = opts.config ?? emptyScanConfig();
  const fromEnv = scanApiTokensFromEnv(opts.env);
  for (const p of fromEnv.problems) opts.log(`HOOKER_SCAN_API_TOKENS: ${p}`);
  const service = new ScanService({
    store: new ScanStore(opts.db),
    config,
    createRunner: (def) => createRunner(def, opts.env),
    ingest: opts.ingest,
    concurrency: config.api.concurrency,
    log: opts.log,
  });
  await service.start();
  const scheduler = new Scheduler(config.schedules, opts.ingest, opts.log);
  scheduler.start();
  const tokens = [...config.api.tokens, ...fromEnv.tokens];
  const exporter = startExporter(config, opts);
  return {
    service,
    async register(app) {
      await app.register(scanApiPlugin, { service, tokens, publicUrl: opts.publicUrl });
    },
    observe(event) {
      if (exporter && isVulnerabilityReport(event)) {
        exporter.applyVulnerabilityReport(event).catch((e: Error) => opts.log(`pod_security_issue: ${e.message}`));
      }
    },
    async close() {
      await exporter?.stop();
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
  exporter.start();
  return exporter;
}

// Scan triggering inside the server: the durable scan queue and its worker
// (same SQLite file as the inbox), the `scan` action's service, the scan API
// under /api/v1 and the schedules. Scan results come back through `ingest`
// as `scan.completed` events that routes match like any other.
//
// The scanners, profiles, thresholds and schedules are read at start; a
// reload of cfg.yaml does not change them (restart to apply).

import type { FastifyInstance } from 'fastify';
import type { SqliteDatabase } from '../store/db.js';
import { ScanStore } from '../store/scans.js';
import { ScanService, type IngestCallback } from '../scan/service.js';
import { createRunner } from '../scan/runners/index.js';
import { bindScanService } from '../scan/active-service.js';
import { scanApiPlugin, scanApiTokensFromEnv } from '../scan/api.js';
import { Scheduler } from '../scan/schedules.js';
import { emptyScanConfig, type ScanConfig } from '../scan/config.js';

export interface ScanningOptions {
  db: SqliteDatabase;
  config?: ScanConfig;
  env: NodeJS.ProcessEnv;
  ingest: IngestCallback;
  log: (line: string) => void;
  publicUrl?: string;
}

export interface Scanning {
  service: ScanService;
  /** Mounts the scan API (/api/v1/...) on an app. */
  register(app: FastifyInstance): Promise<void>;
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
  bindScanService(service);
  await service.start();
  const scheduler = new Scheduler(config.schedules, opts.ingest, opts.log);
  scheduler.start();
  const tokens = [...config.api.tokens, ...fromEnv.tokens];
  return {
    service,
    async register(app) {
      await app.register(scanApiPlugin, { service, tokens, publicUrl: opts.publicUrl });
    },
    async close() {
      scheduler.stop();
      await service.stop();
      bindScanService(undefined);
    },
  };
}

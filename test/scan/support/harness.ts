// Assembles a ScanService the way the server does: SQLite store, runners
// from config, and an ingest callback that records (and can route) events.

import { parse as parseYaml } from 'yaml';
import { expect } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { parseScanConfig, type ScanConfig } from '../../../src/scan/config.js';
import { ScanService, type ScanServiceOptions } from '../../../src/scan/service.js';
import { createRunner } from '../../../src/scan/runners/index.js';

export function scanConfigFrom(yaml: string): ScanConfig {
  const { config, problems } = parseScanConfig(parseYaml(yaml) as Record<string, unknown>, { file: 'cfg.yaml' });
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return config;
}

export interface Harness {
  service: ScanService;
  db: SqliteStore;
  events: unknown[];
  logs: string[];
}

export function makeService(config: ScanConfig, env: NodeJS.ProcessEnv, over: Partial<ScanServiceOptions> & { db?: SqliteStore; onEvent?: (e: unknown) => Promise<void> } = {}): Harness {
  const db = over.db ?? SqliteStore.open(':memory:');
  const events: unknown[] = [];
  const logs: string[] = [];
  const service = new ScanService({
    store: db.scans,
    config,
    createRunner: (def) => createRunner(def, env),
    ingest: async (e) => { events.push(e); await over.onEvent?.(e); },
    log: (l) => logs.push(l),
    ...over,
  });
  return { service, db, events, logs };
}

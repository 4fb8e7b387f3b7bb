// A routing table of plain functions plus a delivery engine over a store
// (SQLite ':memory:' or a file, or a postgres:// URL), so routing and
// delivery are tested without Rego.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Action } from '../../src/actions/types.js';
import { DEFAULT_DELIVERY_POLICY, type ActionConfig, type DeliveryPolicy, type RouteConfig } from '../../src/config/types.js';
import type { RoutingTable } from '../../src/routing/event-router.js';
import { createDeliveryEngine, type DeliveryEngine, type EngineOptions } from '../../src/server/delivery-engine.js';
import type { TemplateRenderer } from '../../src/templates/template-renderer.js';
import { testThreads } from '../support/worker-threads.js';

export function route(name: string, actions: string[], extra: Partial<RouteConfig> = {}): RouteConfig {
  return { name, actions, inputFiles: [], template: 'tpl', serializeActions: false, plugins: {}, path: 'routes[0]', ...extra };
}

export const routeNameRenderer: TemplateRenderer = {
  name: 'tpl', package: 'test',
  render: (input) => ({ title: 'T', body: JSON.stringify((input as { hooker: { route: string } }).hooker.route) }),
};

export function actionConfig(name: string, policy: Partial<DeliveryPolicy> = {}): ActionConfig {
  return { name, type: 'test', enable: true, delivery: { ...DEFAULT_DELIVERY_POLICY, ...policy }, raw: {}, path: 'actions[0]' };
}

export function table(routes: RouteConfig[], matchedBy: (e: unknown) => string[], actions: Action[], policies: Record<string, Partial<DeliveryPolicy>> = {}, renderer = routeNameRenderer): RoutingTable {
  return {
    routes: new Map(routes.map((r) => [r.name, r])),
    matcher: { match: matchedBy },
    templates: new Map([['tpl', renderer]]),
    actions: new Map(actions.map((a) => [a.name, a])),
    config: { actions: actions.map((a) => actionConfig(a.name, policies[a.name] ?? {})) },
  };
}

const engines: DeliveryEngine[] = [];
const dbDirs: string[] = [];
/** A SQLite file in a new temp dir, for a store that must outlive an engine; closeEngines removes the dir. */
export function tempDbFile(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `hooker-${prefix}-`));
  dbDirs.push(d);
  return join(d, 'hooker.db');
}
/** A delivery engine over `dbPath`, SQLite in the test run's mode (testThreads.sqlite) unless `extra.sqliteThread` says. */
export async function engine(t: RoutingTable | (() => RoutingTable), dbPath = ':memory:', extra: { leaseMs?: number; actionGuardMs?: number; onRecord?: EngineOptions['onRecord']; holdAhead?: number; sqliteThread?: boolean } = {}): Promise<DeliveryEngine> {
  const e = await createDeliveryEngine({ dbPath, table: typeof t === 'function' ? t : () => t, sqliteThread: testThreads.sqlite, ...extra });
  engines.push(e);
  return e;
}
export async function closeEngines(graceMs = 0): Promise<void> {
  await Promise.all(engines.splice(0).map((e) => e.close(graceMs)));
  for (const d of dbDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Waits until `fn` (sync or async) gives something other than undefined/false. */
export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 5_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

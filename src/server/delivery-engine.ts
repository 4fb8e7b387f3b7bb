// Wires the durable store, the scheduler and the router for one server:
// everything that turns an accepted event into deliveries and keeps them
// across restarts. A ':memory:' database gives the same engine without a file.

import type { DeliveryRecord } from '../routing/delivery-queue.js';
import { DeliveryScheduler } from '../routing/delivery-queue.js';
import { EventRouter, actionHandler, policyOf, type RouterHooks, type RoutingTable } from '../routing/event-router.js';
import { AggregateStore } from '../store/aggregate-store.js';
import { openDatabase, type SqliteDatabase } from '../store/db.js';
import { DedupStore } from '../store/dedup-store.js';
import { DeliveryStore } from '../store/delivery-store.js';
import { DbSizeGuard } from '../store/db-size-guard.js';
import type { Logger } from '../logging/logger.js';
import type { ServerMetrics } from './metrics.js';

export interface DeliveryEngine {
  db: SqliteDatabase;
  store: DeliveryStore;
  dedup: DedupStore;
  aggregates: AggregateStore;
  scheduler: DeliveryScheduler;
  router: EventRouter;
  /** Deliveries resumed from a previous run. */
  resumed: number;
  close(graceMs?: number): Promise<void>;
}

export interface EngineOptions {
  dbPath: string;
  table: () => RoutingTable;
  metrics?: ServerMetrics;
  hookerUrl?: string;
  synchronous?: 'normal' | 'full';
  log?: (line: string) => void;
  /** Structured log: failed and dead deliveries are logged with their ids. */
  logger?: Logger;
  hooks?: RouterHooks;
  /** max-db-size of cfg.yaml, read at each check (it may change on reload). */
  maxDbSize?: () => string | undefined;
  /** delete-old-data of cfg.yaml (days; 0 keeps finished events). */
  retentionDays?: () => number | undefined;
  housekeepingMs?: number;
  random?: () => number;
}

export function createDeliveryEngine(opts: EngineOptions): DeliveryEngine {
  const log = opts.log ?? (() => {});
  const db = openDatabase(opts.dbPath, { synchronous: opts.synchronous });
  const store = new DeliveryStore(db);
  const dedup = new DedupStore(db);
  const aggregates = new AggregateStore(db);
  const m = opts.metrics;
  const onRecord = (r: DeliveryRecord) => {
    if (!m) return;
    const outcome = r.ok ? 'success' : r.state === 'dead' ? 'dead' : 'retry';
    m.deliveries.inc({ action: r.actionName, outcome });
    m.deliverySeconds.observe({ action: r.actionName }, (r.finishedAt - r.startedAt) / 1000);
    m.pending.set(store.openEvents());
  };
  let router!: EventRouter;
  const scheduler = new DeliveryScheduler(store, actionHandler(() => opts.table().actions), {
    policyOf: (a) => policyOf(opts.table(), a),
    rerender: (d, event) => router.rerender(d, event),
    onRecord: (r) => {
      onRecord(r);
      if (r.ok) return;
      const what = `delivery ${r.deliveryId} (route ${r.routeName}, action ${r.actionName}) ${r.state === 'dead' ? 'is dead' : 'failed'}: ${r.detail ?? ''}`;
      if (!opts.logger) { log(what); return; }
      const fields = { deliveryId: r.deliveryId, eventId: r.eventId, route: r.routeName, action: r.actionName, attempt: r.attempt, state: r.state, detail: r.detail };
      if (r.state === 'dead') opts.logger.error(fields, what); else opts.logger.warn(fields, what);
    },
    ...(opts.random ? { random: opts.random } : {}),
  });
  router = new EventRouter(opts.table, scheduler, {
    hookerUrl: opts.hookerUrl,
    stores: { dedup, aggregates },
    hooks: {
      ...opts.hooks,
      onDuplicate: (route) => { m?.duplicates.inc({ route }); opts.hooks?.onDuplicate?.(route); },
      onAggregateFlush: (route, n) => { m?.aggregateFlushes.inc({ route }); opts.hooks?.onAggregateFlush?.(route, n); },
    },
  });
  const { resumed } = scheduler.start();
  if (resumed > 0) log(`resuming ${resumed} deliveries left running by the previous process`);
  router.resumeAggregates();
  m?.pending.set(store.openEvents());

  const guard = new DbSizeGuard(db, store, dedup, { log, metrics: m });
  const housekeeping = () => {
    try {
      dedup.purgeExpired();
      const days = opts.retentionDays?.();
      if (days) {
        const purged = store.purgeFinished({ before: Date.now() - days * 86_400_000 });
        if (purged) m?.evicted.inc({ kind: 'retention' }, purged);
      }
      guard.check(opts.maxDbSize?.());
    } catch (e) {
      log(`housekeeping failed: ${(e as Error).message}`);
    }
  };
  const timer = setInterval(housekeeping, opts.housekeepingMs ?? 60_000);
  timer.unref();

  return {
    db, store, dedup, aggregates, scheduler, router, resumed,
    async close(graceMs) {
      clearInterval(timer);
      router.close();
      await scheduler.close(graceMs);
      db.close();
    },
  };
}

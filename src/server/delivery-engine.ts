// Wires the durable store, the scheduler and the router for one server:
// everything that turns an accepted event into deliveries and keeps them
// across restarts. HOOKER_DB picks the store (a SQLite file, ':memory:', or a
// postgres:// URL shared by several replicas).

import type { DeliveryRecord } from '../delivery/scheduler.js';
import { DeliveryScheduler } from '../delivery/scheduler.js';
import { actionHandler } from '../delivery/action-runner.js';
import { EventRouter, policyOf, type RouterHooks, type RoutingTable } from '../routing/event-router.js';
import { parseRun } from '../routing/split-items.js';
import { openStore, redactLocation } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { DbSizeGuard } from '../store/db-size-guard.js';
import type { Logger } from '../logging/logger.js';
import type { ServerMetrics } from './metrics.js';

export interface DeliveryEngine {
  store: Store;
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
  /** SQLite in its writer thread (StoreOptions.sqliteThread; the server's HOOKER_SQLITE_THREAD); the event loop when absent. */
  sqliteThread?: boolean;
  /** PostgreSQL pool size and statement timeout. */
  poolSize?: number;
  statementTimeoutMs?: number;
  /** How long a delivery claim lasts without renewal (a dead replica's work returns after this). */
  leaseMs?: number;
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
  /** Longest an action may run before the guard aborts it (actions enforce their own timeouts first); 10 minutes by default. */
  actionGuardMs?: number;
  /** Sees every attempt's record (the server's event log, EventLog.record). */
  onRecord?: (record: DeliveryRecord) => void;
  /** SchedulerOptions.holdAhead: HOLD_AHEAD with SQLite, 0 with PostgreSQL unless given. */
  holdAhead?: number;
  /** SchedulerOptions.holdAheadChars: HOLD_AHEAD_CHARS unless given. */
  holdAheadChars?: number;
}

/**
 * Fresh deliveries a lane holds in memory beyond its room with SQLite
 * (SchedulerOptions.holdAhead): about the inbox's default high water
 * (HOOKER_INBOX_HIGH_WATER, 2,000 events, which admission holds the backlog
 * near) twice over at 3 deliveries per event to one action. In the bench's
 * sustained phase a lane held up to ~10,000 and never claimed; with 6,000 it
 * overflowed within 9 s and claimed for the rest of the phase (issue 12,
 * BENCHMARKS.md "session 13: loop"). The memory it may take: each held
 * delivery keeps its event's text and parsed object until it runs.
 */
export const HOLD_AHEAD = 12_288;
/**
 * ... and the event text those hold at most (SchedulerOptions.holdAheadChars):
 * 32 Mi characters, about 12,288 deliveries of the bench's 965-byte event
 * three times over; an event of 10 MiB (HOOKER_MAX_BODY) is held past the
 * room three times at most.
 */
export const HOLD_AHEAD_CHARS = 32 * 1024 * 1024;

/** Opens the engine's store (the server starts this before compiling the routes, see server.ts). */
export function openEngineStore(opts: Pick<EngineOptions, 'dbPath' | 'synchronous' | 'sqliteThread' | 'poolSize' | 'statementTimeoutMs' | 'log'>): Promise<Store> {
  return openStore(opts.dbPath, {
    synchronous: opts.synchronous, sqliteThread: opts.sqliteThread, poolSize: opts.poolSize, statementTimeoutMs: opts.statementTimeoutMs, log: opts.log ?? (() => {}),
  });
}

/** `opening`: the store openEngineStore(opts) already started, if any. */
export async function createDeliveryEngine(opts: EngineOptions, opening?: Promise<Store>): Promise<DeliveryEngine> {
  const log = opts.log ?? (() => {});
  const store = await (opening ?? openEngineStore(opts));
  try {
    return await startEngine(store, opts, log);
  } catch (e) {
    await store.close();
    throw e;
  }
}

async function startEngine(store: Store, opts: EngineOptions, log: (line: string) => void): Promise<DeliveryEngine> {
  const m = opts.metrics;
  const onRecord = (r: DeliveryRecord) => {
    opts.onRecord?.(r);
    if (!m) return;
    const outcome = r.ok ? 'success' : r.state === 'dead' ? 'dead' : 'retry';
    m.countDelivery(r.actionName, outcome);
    m.deliverySeconds.observe(r.actionName, (r.finishedAt - r.startedAt) / 1000);
  };
  let router!: EventRouter;
  const where = redactLocation(store.location);
  const run = actionHandler(() => opts.table().actions, opts.actionGuardMs);
  // Actions see the route's name; one item's run of a split route is stored as `<route>[<index>]`.
  const routeOf = (name: string) => parseRun(name, (n) => opts.table().routes.has(n)).route;
  // The scheduler makes each job for this call alone, so its route is set in place: a copy (`{ ...job }`)
  // read every field, the event too, which a claimed delivery parses only when read (issue 12, claimedOf).
  const scheduler: DeliveryScheduler = new DeliveryScheduler(store.deliveries, (job, signal) => { job.routeName = routeOf(job.routeName); return run(job, signal); }, {
    policyOf: (a) => policyOf(opts.table(), a),
    queueAheadOf: (a) => opts.table().actions.get(a)?.queueAhead,
    rerender: (d, event) => router.rerender(d, event),
    onRecord: (r) => {
      onRecord(r);
      if (r.ok) return;
      const what = `delivery ${r.deliveryId} (route ${r.routeName}, action ${r.actionName}) ${r.state === 'dead' ? 'is dead' : 'failed'}: ${r.detail ?? ''}`;
      if (!opts.logger) { log(what); return; }
      const fields = { deliveryId: r.deliveryId, eventId: r.eventId, route: r.routeName, action: r.actionName, attempt: r.attempt, state: r.state, detail: r.detail };
      if (r.state === 'dead') opts.logger.error(fields, what); else opts.logger.warn(fields, what);
    },
    onStoreError: (e) => {
      const what = e ? `the database ${where} failed; deliveries pause until it answers: ${e.message}` : `the database ${where} answers again; deliveries resume`;
      if (opts.logger) (e ? opts.logger.error({ db: where }, what) : opts.logger.info({ db: where }, what)); else log(what);
    },
    // With a shared store other replicas make work due: LISTEN/NOTIFY wakes us, a poll is the fallback.
    ...(store.engine === 'postgres' ? { pollMs: 2_000 } : {}),
    // One process owns a SQLite file: what it holds leased no other replica waits for.
    holdAhead: opts.holdAhead ?? (store.engine === 'sqlite' ? HOLD_AHEAD : 0),
    holdAheadChars: opts.holdAheadChars ?? HOLD_AHEAD_CHARS,
    ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  router = new EventRouter(opts.table, scheduler, {
    hookerUrl: opts.hookerUrl,
    stores: { dedup: true, aggregates: store.aggregates },
    hooks: {
      ...opts.hooks,
      onDuplicate: (route) => { m?.duplicates.inc({ route }); opts.hooks?.onDuplicate?.(route); },
      onAggregateFlush: (route, n) => { m?.aggregateFlushes.inc({ route }); opts.hooks?.onAggregateFlush?.(route, n); },
      onAggregateError: (route, e) => { log(`route "${route}": aggregation buffer not flushed, will retry: ${e.message}`); opts.hooks?.onAggregateError?.(route, e); },
    },
  });
  const unsubscribe = store.onWork(() => scheduler.wake());
  const { resumed } = await scheduler.start();
  if (resumed > 0) log(`resuming ${resumed} deliveries left running by the previous process`);
  await router.resumeAggregates();

  const guard = new DbSizeGuard(store, { log, metrics: m });
  let housekeepingRunning = false;
  const housekeeping = async () => {
    if (housekeepingRunning) return;
    housekeepingRunning = true;
    try {
      await store.dedup.purgeExpired();
      const days = opts.retentionDays?.();
      if (days) {
        const purged = await store.deliveries.purgeFinished({ before: Date.now() - days * 86_400_000 });
        if (purged) m?.evicted.inc({ kind: 'retention' }, purged);
      }
      await guard.check(opts.maxDbSize?.());
    } catch (e) {
      log(`housekeeping failed: ${(e as Error).message}`);
    } finally {
      housekeepingRunning = false;
    }
  };
  const timer = setInterval(() => void housekeeping(), opts.housekeepingMs ?? 60_000);
  timer.unref();

  return {
    store, scheduler, router, resumed,
    async close(graceMs) {
      clearInterval(timer);
      unsubscribe();
      router.close();
      await scheduler.close(graceMs);
      await store.close();
    },
  };
}

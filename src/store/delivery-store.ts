// The durable inbox: events, the (event, route, action) deliveries made of
// them, and every attempt. All state changes are single transactions, so a
// crash at any point leaves either the old or the new state, and a restart
// resumes whatever was not finished.

import type { RenderedMessage } from '../actions/types.js';
import type { SqliteDatabase } from './db.js';
import { migrateCore } from './schema.js';

export type DeliveryState = 'waiting' | 'pending' | 'running' | 'succeeded' | 'dead';
export const DELIVERY_STATES: readonly DeliveryState[] = ['waiting', 'pending', 'running', 'succeeded', 'dead'];
export type ActionKind = 'ReadOnly' | 'ReadAndWrite';

export interface PlannedDelivery {
  id: string;
  action: string;
  /** Deliveries of a route run stage by stage, lowest first. */
  stage: number;
  kind: ActionKind;
}

export interface PlannedRoute {
  route: string;
  template?: string;
  message: RenderedMessage;
  deliveries: PlannedDelivery[];
}

export interface DedupKey { route: string; key: string; expiresAt: number }

export interface EventPlan {
  eventId: string;
  receivedAt: number;
  hops: number;
  event: unknown;
  routes: PlannedRoute[];
  /** Dedup keys to remember, committed with the event. */
  dedupKeys?: DedupKey[];
  /** Messages to buffer for aggregating routes instead of delivering them now. */
  aggregate?: Array<{ route: string; message: RenderedMessage }>;
  /** Aggregation items this plan delivers (removed in the same transaction). */
  consumesAggregate?: { route: string; ids: number[] };
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  route: string;
  action: string;
  stage: number;
  kind: ActionKind;
  /** Attempts made before this one. */
  attempts: number;
  template?: string;
  message: RenderedMessage;
  /** The event as the actions of this stage see it (enriched by earlier ReadAndWrite actions). */
  event: unknown;
  hops: number;
  createdAt: number;
}

export interface AttemptOutcome {
  ok: boolean;
  detail?: string;
  log: string[];
  startedAt: number;
  finishedAt: number;
  /** When to try again; absent for a final outcome (success, or dead letter). */
  retryAt?: number;
  /** For a successful ReadAndWrite delivery: the event the next stages see, and their message. */
  enriched?: { event: unknown; message?: RenderedMessage };
}

export interface DeliverySummary {
  id: string;
  eventId: string;
  route: string;
  action: string;
  state: DeliveryState;
  attempts: number;
  stage: number;
  kind: ActionKind;
  nextAt: number;
  createdAt: number;
  updatedAt: number;
  lastError?: string;
}

export interface AttemptRecord {
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  detail?: string;
  log: string[];
}

export interface DeliveryFilter {
  state?: DeliveryState;
  route?: string;
  action?: string;
  eventId?: string;
  limit?: number;
  /** Only deliveries created before this time (ms). */
  before?: number;
}

interface DeliveryRow {
  id: string; event_id: string; route: string; action: string; stage: number; kind: ActionKind; state: DeliveryState;
  attempts: number; next_at: number; created_at: number; updated_at: number; last_error: string | null;
}

function summaryOf(r: DeliveryRow): DeliverySummary {
  return {
    id: r.id, eventId: r.event_id, route: r.route, action: r.action, state: r.state, attempts: r.attempts, stage: r.stage, kind: r.kind,
    nextAt: r.next_at, createdAt: r.created_at, updatedAt: r.updated_at, ...(r.last_error ? { lastError: r.last_error } : {}),
  };
}

function whereOf(f: DeliveryFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (f.state) { parts.push('state = ?'); args.push(f.state); }
  if (f.route) { parts.push('route = ?'); args.push(f.route); }
  if (f.action) { parts.push('action = ?'); args.push(f.action); }
  if (f.eventId) { parts.push('event_id = ?'); args.push(f.eventId); }
  if (f.before !== undefined) { parts.push('created_at < ?'); args.push(f.before); }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export class DeliveryStore {
  private open: number;

  constructor(readonly db: SqliteDatabase) {
    migrateCore(db);
    this.open = (db.prepare('SELECT COUNT(*) AS n FROM events WHERE open_deliveries > 0').get() as { n: number }).n;
  }

  /** Runs `fn` in one transaction (the store's own transactions nest as savepoints). */
  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Events with unfinished deliveries (the inbox). */
  openEvents(): number {
    return this.open;
  }

  /** Deliveries a crashed process left running go back to pending. */
  resetRunning(now = Date.now()): number {
    return this.db.prepare("UPDATE deliveries SET state = 'pending', next_at = ?, updated_at = ? WHERE state = 'running'").run(now, now).changes;
  }

  private readonly insertEvent = this.stmt('INSERT INTO events (id, received_at, hops, body, open_deliveries) VALUES (?, ?, ?, ?, ?)');
  private readonly insertRun = this.stmt('INSERT INTO route_runs (event_id, route, template, message) VALUES (?, ?, ?, ?)');
  private readonly insertDelivery = this.stmt(`INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`);
  private readonly upsertDedup = this.stmt('INSERT INTO dedup_keys (route, key, expires_at) VALUES (?, ?, ?) ON CONFLICT (route, key) DO UPDATE SET expires_at = excluded.expires_at');
  private readonly insertAggregate = this.stmt('INSERT INTO aggregate_items (route, event_id, message, created_at) VALUES (?, ?, ?, ?)');
  private readonly deleteAggregate = this.stmt('DELETE FROM aggregate_items WHERE route = ? AND id = ?');

  private stmt(sql: string) {
    // Prepared lazily: field initialisers run before the constructor body migrates.
    let prepared: ReturnType<SqliteDatabase['prepare']> | undefined;
    return { get: () => (prepared ??= this.db.prepare(sql)) };
  }

  /** Commits an event with its deliveries, dedup keys and aggregation items in one transaction. */
  insertPlan(plan: EventPlan): void {
    this.insertPlans([plan]);
  }

  /** Commits several plans in one transaction (group commit: one WAL write for a burst of events). */
  insertPlans(plans: EventPlan[]): void {
    let opened = 0;
    this.db.transaction(() => {
      for (const plan of plans) if (this.insertOne(plan)) opened++;
    }).immediate();
    this.open += opened;
  }

  private insertOne(plan: EventPlan): boolean {
    const count = plan.routes.reduce((n, r) => n + r.deliveries.length, 0);
    // An event no route delivers or buffers carries no promise to keep.
    const keeps = count > 0 || plan.routes.length > 0 || (plan.aggregate?.length ?? 0) > 0 || (plan.dedupKeys?.length ?? 0) > 0 || plan.consumesAggregate !== undefined;
    if (!keeps) return false;
    {
      this.insertEvent.get().run(plan.eventId, plan.receivedAt, plan.hops, JSON.stringify(plan.event ?? null), count);
      for (const r of plan.routes) {
        this.insertRun.get().run(plan.eventId, r.route, r.template ?? null, JSON.stringify(r.message));
        const first = Math.min(...r.deliveries.map((d) => d.stage));
        for (const d of r.deliveries) {
          this.insertDelivery.get().run(d.id, plan.eventId, r.route, d.action, d.stage, d.kind, d.stage === first ? 'pending' : 'waiting', plan.receivedAt, plan.receivedAt, plan.receivedAt);
        }
      }
      for (const k of plan.dedupKeys ?? []) this.upsertDedup.get().run(k.route, k.key, k.expiresAt);
      for (const a of plan.aggregate ?? []) this.insertAggregate.get().run(a.route, plan.eventId, JSON.stringify(a.message), plan.receivedAt);
      for (const id of plan.consumesAggregate?.ids ?? []) this.deleteAggregate.get().run(plan.consumesAggregate!.route, id);
    }
    return count > 0;
  }

  private readonly claimSelect = this.stmt(`SELECT d.id, d.event_id, d.route, d.action, d.stage, d.kind, d.attempts, d.created_at,
      r.template, r.message, COALESCE(r.enriched, e.body) AS event, e.hops
    FROM deliveries d JOIN route_runs r ON r.event_id = d.event_id AND r.route = d.route JOIN events e ON e.id = d.event_id
    WHERE d.action = ? AND d.state = 'pending' AND d.next_at <= ?
    ORDER BY d.next_at LIMIT ?`);
  private readonly markRunning = this.stmt("UPDATE deliveries SET state = 'running', updated_at = ? WHERE id = ? AND state = 'pending'");
  private readonly pendingActionsStmt = this.stmt("SELECT DISTINCT action FROM deliveries WHERE state = 'pending'");
  private readonly hasPendingStmt = this.stmt("SELECT 1 FROM deliveries WHERE action = ? AND state = 'pending' LIMIT 1");

  /** Actions with pending deliveries (due or not). */
  pendingActions(): string[] {
    return (this.pendingActionsStmt.get().all() as Array<{ action: string }>).map((r) => r.action);
  }

  hasPending(action: string): boolean {
    return this.hasPendingStmt.get().get(action) !== undefined;
  }

  /** Up to `limit` due deliveries of one action, oldest first, marked running. */
  claimDue(action: string, now: number, limit: number): ClaimedDelivery[] {
    if (limit <= 0) return [];
    return this.db.transaction(() => {
      const rows = this.claimSelect.get().all(action, now, limit) as Array<{
        id: string; event_id: string; route: string; action: string; stage: number; kind: ActionKind; attempts: number; created_at: number;
        template: string | null; message: string; event: string; hops: number;
      }>;
      for (const r of rows) this.markRunning.get().run(now, r.id);
      return rows.map((r) => ({
        id: r.id, eventId: r.event_id, route: r.route, action: r.action, stage: r.stage, kind: r.kind, attempts: r.attempts,
        ...(r.template ? { template: r.template } : {}),
        message: JSON.parse(r.message) as RenderedMessage, event: JSON.parse(r.event) as unknown, hops: r.hops, createdAt: r.created_at,
      }));
    }).immediate();
  }

  /** A claimed delivery that was not run (lane full, or shutdown) goes back to pending, keeping its due time. */
  requeue(id: string, now = Date.now()): void {
    this.requeueStmt.get().run(now, id);
  }
  private readonly requeueStmt = this.stmt("UPDATE deliveries SET state = 'pending', updated_at = ? WHERE id = ? AND state = 'running'");

  /** Due time of an action's oldest pending delivery (the backpressure lag); one index lookup. */
  private readonly oldestPendingStmt = this.stmt("SELECT MIN(next_at) AS t FROM deliveries WHERE action = ? AND state = 'pending'");
  oldestPendingAt(action: string): number | undefined {
    const row = this.oldestPendingStmt.get().get(action) as { t: number | null };
    return row.t ?? undefined;
  }

  /** Earliest time a pending delivery becomes due, if any. */
  private readonly nextDueStmt = this.stmt("SELECT MIN(next_at) AS t FROM deliveries WHERE state = 'pending'");
  nextDueAt(): number | undefined {
    const row = this.nextDueStmt.get().get() as { t: number | null };
    return row.t ?? undefined;
  }

  private readonly finishSelect = this.stmt('SELECT event_id, route, stage, attempts, state FROM deliveries WHERE id = ?');
  private readonly insertAttempt = this.stmt('INSERT INTO attempts (delivery_id, started_at, finished_at, ok, detail, log) VALUES (?, ?, ?, ?, ?, ?)');
  private readonly updateDelivery = this.stmt('UPDATE deliveries SET state = ?, attempts = attempts + 1, next_at = ?, updated_at = ?, last_error = ? WHERE id = ?');
  private readonly closeOne = this.stmt('UPDATE events SET open_deliveries = open_deliveries - 1 WHERE id = ? RETURNING open_deliveries');
  private readonly unfinishedInStage = this.stmt("SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ? AND route = ? AND stage = ? AND state IN ('pending', 'running', 'waiting')");
  private readonly releaseStmt = this.stmt(`UPDATE deliveries SET state = 'pending', next_at = ?, updated_at = ?
      WHERE event_id = ? AND route = ? AND state = 'waiting'
        AND stage = (SELECT MIN(stage) FROM deliveries WHERE event_id = ? AND route = ? AND state = 'waiting')
      RETURNING action`);

  /** Records an attempt; on a final outcome releases the route's next stage. Returns the new state and the actions released. */
  finishAttempt(id: string, o: AttemptOutcome): { state: DeliveryState; released: string[] } {
    let state: DeliveryState = 'pending';
    let released: string[] = [];
    let eventClosed = false;
    this.db.transaction(() => {
      const d = this.finishSelect.get().get(id) as
        { event_id: string; route: string; stage: number; attempts: number; state: DeliveryState } | undefined;
      if (!d) return;
      this.insertAttempt.get().run(id, o.startedAt, o.finishedAt, o.ok ? 1 : 0, o.detail ?? null, JSON.stringify(o.log));
      state = o.ok ? 'succeeded' : o.retryAt !== undefined ? 'pending' : 'dead';
      this.updateDelivery.get().run(state, o.retryAt ?? o.finishedAt, o.finishedAt, o.ok ? null : (o.detail ?? 'failed'), id);
      if (state === 'pending') return;
      if (o.enriched) {
        this.db.prepare('UPDATE route_runs SET enriched = ?, message = COALESCE(?, message) WHERE event_id = ? AND route = ?')
          .run(JSON.stringify(o.enriched.event ?? null), o.enriched.message ? JSON.stringify(o.enriched.message) : null, d.event_id, d.route);
      }
      released = this.releaseNextStage(d.event_id, d.route, d.stage, o.finishedAt);
      const ev = this.closeOne.get().get(d.event_id) as { open_deliveries: number };
      eventClosed = ev.open_deliveries === 0;
    }).immediate();
    if (eventClosed) this.open--;
    return { state, released };
  }

  private releaseNextStage(eventId: string, route: string, stage: number, now: number): string[] {
    const unfinished = this.unfinishedInStage.get().get(eventId, route, stage) as { n: number };
    if (unfinished.n > 0) return [];
    return (this.releaseStmt.get().all(now, now, eventId, route, eventId, route) as Array<{ action: string }>).map((r) => r.action);
  }

  list(filter: DeliveryFilter = {}): DeliverySummary[] {
    const w = whereOf(filter);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 10_000);
    const rows = this.db.prepare(`SELECT * FROM deliveries ${w.sql} ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(...w.args, limit) as DeliveryRow[];
    return rows.map(summaryOf);
  }

  countByState(): Record<DeliveryState, number> {
    const out = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as Array<{ state: DeliveryState; n: number }>) out[r.state] = r.n;
    return out;
  }

  get(id: string): (DeliverySummary & { message: RenderedMessage; attemptLog: AttemptRecord[] }) | undefined {
    const row = this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    if (!row) return undefined;
    const run = this.db.prepare('SELECT message FROM route_runs WHERE event_id = ? AND route = ?').get(row.event_id, row.route) as { message: string };
    const attempts = this.db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id').all(id) as Array<{ started_at: number; finished_at: number; ok: number; detail: string | null; log: string }>;
    return {
      ...summaryOf(row),
      message: JSON.parse(run.message) as RenderedMessage,
      attemptLog: attempts.map((a) => ({ startedAt: a.started_at, finishedAt: a.finished_at, ok: a.ok === 1, ...(a.detail ? { detail: a.detail } : {}), log: JSON.parse(a.log) as string[] })),
    };
  }

  /** Puts dead deliveries (one, or all matching the filter) back to pending with a fresh retry budget. */
  retryDead(filter: DeliveryFilter & { id?: string }, now = Date.now()): number {
    let changed = 0;
    this.db.transaction(() => {
      const w = whereOf({ ...filter, state: 'dead' });
      const idPart = filter.id ? `${w.sql ? ' AND' : 'WHERE'} id = ?` : '';
      const rows = this.db.prepare(`SELECT id, event_id FROM deliveries ${w.sql}${idPart}`).all(...w.args, ...(filter.id ? [filter.id] : [])) as Array<{ id: string; event_id: string }>;
      const revive = this.db.prepare("UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE id = ?");
      const reopen = this.db.prepare('UPDATE events SET open_deliveries = open_deliveries + 1 WHERE id = ? RETURNING open_deliveries');
      for (const r of rows) {
        revive.run(now, now, r.id);
        const ev = reopen.get(r.event_id) as { open_deliveries: number };
        if (ev.open_deliveries === 1) this.open++;
      }
      changed = rows.length;
    }).immediate();
    return changed;
  }

  /**
   * Deletes finished events (every delivery succeeded or dead, or none) that
   * match: the event row, its runs, deliveries and attempts. Undelivered
   * events are never purged here.
   */
  purgeFinished(opts: { before?: number; state?: 'succeeded' | 'dead'; route?: string; limit?: number } = {}): number {
    const args: unknown[] = [];
    let sql = 'SELECT id FROM events WHERE open_deliveries = 0';
    if (opts.before !== undefined) { sql += ' AND received_at < ?'; args.push(opts.before); }
    if (opts.state) { sql += ' AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.state = ?)'; args.push(opts.state); }
    if (opts.route) { sql += ' AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.route = ?)'; args.push(opts.route); }
    sql += ' ORDER BY received_at LIMIT ?';
    args.push(opts.limit ?? 1_000_000);
    let n = 0;
    this.db.transaction(() => {
      const ids = (this.db.prepare(sql).all(...args) as Array<{ id: string }>).map((r) => r.id);
      const del = this.db.prepare('DELETE FROM events WHERE id = ?');
      const delDeliveries = this.db.prepare('DELETE FROM deliveries WHERE event_id = ?');
      for (const id of ids) { delDeliveries.run(id); n += del.run(id).changes; }
    }).immediate();
    return n;
  }

  eventBody(id: string): unknown {
    const row = this.db.prepare('SELECT body FROM events WHERE id = ?').get(id) as { body: string } | undefined;
    return row ? JSON.parse(row.body) as unknown : undefined;
  }
}

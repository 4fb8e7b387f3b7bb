// The PostgreSQL backend of the Store: several replicas share one database.
// What makes each guarantee hold across replicas lives in the queries here:
// - a delivery is claimed with SELECT ... FOR UPDATE SKIP LOCKED and a lease
//   (claimed_by, lease_until): two replicas never claim the same live row,
//   and a dead replica's claims are due again once their lease expires;
// - finishing a delivery locks its route run row, so the check "is this
//   stage finished?" and the release of the next stage happen once;
// - dedup keys are a primary key taken in the event's transaction;
// - an aggregation flush holds a per-route transaction advisory lock;
// - a schedule tick is a primary key; leadership is a session advisory lock.
// NOTIFY hooker_work (sent at commit) wakes idle replicas.

import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { RenderedMessage } from '../../actions/types.js';
import type { ActionKind, EventPlan } from '../../delivery/plan.js';
import type { ScanOutcome, ScanRecord, ScanRequest, ScanState } from '../../scan/types.js';
import { redactSecrets } from '../../logging/redact.js';
import {
  DELIVERY_STATES,
  type AggregateItem, type AggregateRows, type AttemptRecord, type ClaimedDelivery, type ClusterRows, type DedupRows, type DeliveryFilter,
  type DeliveryRows, type DeliveryState, type DeliverySummary, type FinishItem, type FinishResult, type HeldAtInsert, type Lease, type Leadership, type PlanCommit,
  type PurgeFilter, type ScanRows, type Store, type StoreHealth,
} from '../types.js';
import { redactLocation, type StoreOptions } from '../open-store.js';
import { migratePostgres } from './schema.js';
import { PgConsoleQueries } from './console-rows.js';
import { scanOf, summaryOf, type DeliveryRow, type ScanRow } from '../row-mapping.js';
import { parseJson, stringifyJson } from '../../json/lossless.js';
import { readStoredMessage, readStoredMessageOf, storedMessageText } from '../stored-message.js';

const CHANNEL = 'hooker_work';
/** Hooker's tables (schema.ts): what its size is made of. */
const TABLES = ['events', 'route_runs', 'deliveries', 'attempts', 'dedup_keys', 'aggregate_items', 'schedule_ticks', 'scans'];

/** The bytes of the rows of Hooker's tables (one scan of each). */
async function liveBytesOf(on: Queryable): Promise<number> {
  const { rows } = await on.query<{ n: number }>(`SELECT (${TABLES.map((t) => `(SELECT COALESCE(SUM(pg_column_size(x.*)), 0) FROM ${t} x)`).join(' + ')})::bigint AS n`);
  return rows[0]!.n;
}

// BIGINT (times, counts) as numbers: every value Hooker stores fits in 2^53.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Errors that mean "cannot reach the database" rather than "this query is wrong". */
function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string }).code ?? '';
  const msg = (e as Error).message ?? '';
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET'
    || code === 'ETIMEDOUT' || code === 'EPIPE' || /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(msg);
}

type Queryable = pg.Pool | pg.PoolClient;

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly deliveries: PgDeliveryRows;
  readonly dedup: PgDedupRows;
  readonly aggregates: PgAggregateRows;
  readonly scans: PgScanRows;
  readonly cluster: PgClusterRows;
  readonly console: PgConsoleQueries;
  private readonly work = new EventEmitter();
  private listener: pg.Client | undefined;
  private listenTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private healthState: StoreHealth = { ok: true };
  /** Identifies this process's notifications (its own are not echoed back to it). */
  private readonly id = randomUUID();

  private readonly db: Db;

  private constructor(readonly pool: pg.Pool, readonly location: string, private readonly config: pg.PoolConfig, private readonly log: (line: string) => void) {
    const db = this.db = new Db(pool, this.id, (e) => this.failed(e), () => this.answered());
    this.deliveries = new PgDeliveryRows(db, () => this.notifyWork());
    this.dedup = new PgDedupRows(db);
    this.aggregates = new PgAggregateRows(db, this.deliveries);
    this.scans = new PgScanRows(db);
    this.cluster = new PgClusterRows(db, config);
    this.console = new PgConsoleQueries((sql, args) => db.query(sql, args));
    this.work.setMaxListeners(0);
  }

  static async open(url: string, opts: StoreOptions = {}): Promise<PostgresStore> {
    const shown = redactLocation(url);
    const config: pg.PoolConfig = {
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: 'hooker',
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : { statement_timeout: 30_000 }),
      types,
    };
    const pool = new pg.Pool(config);
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const store = new PostgresStore(pool, shown, config, opts.log ?? (() => {}));
    try {
      const client = await pool.connect();
      // A checked-out client emits 'error' when its connection dies; unheard, that ends the process.
      const failed = () => {};
      client.on('error', failed);
      try { await migratePostgres(client); } finally { client.off('error', failed); client.release(); }
    } catch (e) {
      await pool.end().catch(() => {});
      throw new Error(redactSecrets((e as Error).message));
    }
    await store.listen();
    return store;
  }

  private failed(e: unknown): void {
    if (!isConnectionError(e)) return;
    if (this.healthState.ok) this.log(`the database ${this.location} is unreachable: ${redactSecrets((e as Error).message)}`);
    this.healthState = { ok: false, reason: redactSecrets((e as Error).message) };
    this.startPing();
  }

  private answered(): void {
    if (!this.healthState.ok) this.log(`the database ${this.location} answers again`);
    this.healthState = { ok: true };
  }

  /** While unhealthy, a ping every second finds out when the database is back (even with no traffic). */
  private startPing(): void {
    if (this.pingTimer || this.closed) return;
    this.pingTimer = setInterval(() => {
      this.pool.query('SELECT 1').then(() => {
        this.answered();
        clearInterval(this.pingTimer);
        this.pingTimer = undefined;
        // Work may have become due while we could not hear.
        this.work.emit('work');
      }, () => {});
    }, 1_000);
    this.pingTimer.unref();
  }

  /** A dedicated connection LISTENs; when it drops it is re-made, and idle replicas poll meanwhile. */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ ...this.config, types });
    client.on('error', () => {});
    client.on('end', () => {
      if (this.listener === client) this.listener = undefined;
      if (!this.closed) { this.listenTimer = setTimeout(() => void this.listen(), 1_000); this.listenTimer.unref(); }
    });
    client.on('notification', (n) => { if (n.payload !== this.id) this.emitWork(); });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
    } catch {
      await client.end().catch(() => {});
    }
  }

  private workPending = false;
  /** Bursts of notifications become one wake-up. */
  private emitWork(): void {
    if (this.workPending) return;
    this.workPending = true;
    setTimeout(() => { this.workPending = false; this.work.emit('work'); }, 5).unref();
  }

  onWork(fn: () => void): () => void {
    this.work.on('work', fn);
    return () => this.work.off('work', fn);
  }

  notifyWork(): void {
    this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, this.id]).catch(() => {});
  }

  async usedBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COALESCE(SUM(pg_total_relation_size(to_regclass(t))), 0)::bigint AS n FROM unnest($1::text[]) t', [TABLES]);
    return rows[0]!.n;
  }

  async liveBytes(): Promise<number> {
    return liveBytesOf(this.pool);
  }

  /**
   * Under a transaction advisory lock (replicas checking at once take turns,
   * and the later one measures again), the oldest finished events, each
   * weighed with its runs, deliveries and attempts, are deleted until the rows
   * fit: the space they leave is reused by the next ones (VACUUM), so the
   * tables stop growing.
   */
  async evictFinished(limit: number): Promise<{ events: number; live: number }> {
    // In Db.tx: a connection that dies meanwhile (the database restarting)
    // is an error of this call, not an unhandled 'error' event that ends the process.
    return this.db.tx(async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('hooker-size-guard'))");
      let live = await liveBytesOf(client);
      let events = 0;
      while (live > limit) {
        const { rows } = await client.query<{ id: string; bytes: number }>(`SELECT e.id, (pg_column_size(e.*)
            + COALESCE((SELECT SUM(pg_column_size(r.*)) FROM route_runs r WHERE r.event_id = e.id), 0)
            + COALESCE((SELECT SUM(pg_column_size(d.*)) FROM deliveries d WHERE d.event_id = e.id), 0)
            + COALESCE((SELECT SUM(pg_column_size(a.*)) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.event_id = e.id), 0))::bigint AS bytes
          FROM events e WHERE e.open_deliveries = 0 ORDER BY e.received_at, e.id LIMIT 200`);
        const take: string[] = [];
        let weight = 0;
        for (const r of rows) {
          if (live - weight <= limit) break;
          take.push(r.id);
          weight += r.bytes;
        }
        if (take.length === 0) break;
        const gone = await client.query<{ id: string }>('DELETE FROM events WHERE id = ANY($1) AND open_deliveries = 0 RETURNING id', [take]);
        if (!gone.rowCount) break;
        const sizes = new Map(rows.map((r) => [r.id, r.bytes]));
        events += gone.rowCount;
        for (const g of gone.rows) live -= sizes.get(g.id) ?? 0;
      }
      return { events, live };
    });
  }

  health(): StoreHealth {
    return this.healthState;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.listenTimer);
    clearInterval(this.pingTimer);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => {});
    await this.cluster.close();
    await this.pool.end().catch(() => {});
  }
}

/** The pool with health reporting, and transactions. */
class Db {
  /** `id` is the payload of this process's notifications, so it does not wake itself. */
  constructor(readonly pool: pg.Pool, readonly id: string, private readonly onError: (e: unknown) => void, private readonly onOk: () => void) {}

  async query<R extends pg.QueryResultRow>(sql: string, args: unknown[] = [], on: Queryable = this.pool): Promise<pg.QueryResult<R>> {
    try {
      const r = await on.query<R>(sql, args);
      this.onOk();
      return r;
    } catch (e) {
      this.onError(e);
      throw e;
    }
  }

  async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      this.onError(e);
      throw e;
    }
    // A checked-out client whose connection dies emits 'error'; the pool only listens while it is idle.
    const onError = (e: Error) => this.onError(e);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      this.onOk();
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      this.onError(e);
      throw e;
    } finally {
      client.off('error', onError);
      client.release();
    }
  }
}

/** WHERE clause with numbered parameters from `start`. */
/**
 * A route's deliveries with the runs of its items (split-by, stored as
 * `<route>[<index>]`): a byte-order range (collation "C"), `[` to `\\`.
 */
const routeAndRuns = (col: string, r: string) => `(${col} = ${r} OR (${col} COLLATE "C" >= (${r} || '[') AND ${col} COLLATE "C" < (${r} || '\\')))`;

function whereOf(f: DeliveryFilter, now: number, args: unknown[]): string {
  const parts: string[] = [];
  const p = (v: unknown) => { args.push(v); return `$${args.length}`; };
  if (f.state === 'running') parts.push(`state = 'pending' AND lease_until > ${p(now)}`);
  else if (f.state === 'pending') parts.push(`state = 'pending' AND lease_until <= ${p(now)}`);
  else if (f.state) parts.push(`state = ${p(f.state)}`);
  if (f.route) parts.push(routeAndRuns('route', p(f.route)));
  if (f.action) parts.push(`action = ${p(f.action)}`);
  if (f.eventId) parts.push(`event_id = ${p(f.eventId)}`);
  if (f.before !== undefined) parts.push(`created_at < ${p(f.before)}`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

export class PgDeliveryRows implements DeliveryRows {
  constructor(private readonly db: Db, private readonly notify: () => void) {}

  async insertPlans(plans: EventPlan[], held?: HeldAtInsert): Promise<PlanCommit[]> {
    const out = await this.db.tx((c) => this.insertPlansIn(c, plans, held));
    return out;
  }

  /** Inside a transaction: dedup keys first (per key, in order), then one multi-row INSERT per table for the batch. */
  async insertPlansIn(c: pg.PoolClient, plans: EventPlan[], held?: HeldAtInsert): Promise<PlanCommit[]> {
    const ev = { id: [] as string[], at: [] as number[], hops: [] as number[], body: [] as string[], open: [] as number[] };
    const run = { ev: [] as string[], route: [] as string[], tpl: [] as Array<string | null>, msg: [] as string[] };
    const del = { id: [] as string[], ev: [] as string[], route: [] as string[], action: [] as string[], stage: [] as number[], kind: [] as string[], state: [] as string[], at: [] as number[], by: [] as Array<string | null>, until: [] as number[] };
    const agg = { route: [] as string[], ev: [] as string[], msg: [] as string[], at: [] as number[] };
    const commits: PlanCommit[] = [];
    for (const plan of plans) {
      const duplicates: string[] = [];
      for (const k of plan.dedupKeys ?? []) {
        // A live key (held by an earlier event, maybe on another replica) refuses the route; an expired one is taken over.
        const r = await c.query(`INSERT INTO dedup_keys (route, key, expires_at) VALUES ($1, $2, $3)
          ON CONFLICT (route, key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE dedup_keys.expires_at <= $4 RETURNING 1`,
        [k.route, k.key, k.expiresAt, plan.receivedAt]);
        if (r.rowCount === 0) duplicates.push(k.run ?? k.route);
      }
      const routes = duplicates.length ? plan.routes.filter((r) => !duplicates.includes(r.route)) : plan.routes;
      const aggregate = (plan.aggregate ?? []).filter((a) => !duplicates.includes(a.run ?? a.route));
      const ids = routes.flatMap((r) => r.deliveries.map((d) => d.id));
      commits.push({ duplicates, deliveries: ids });
      if (routes.length === 0 && aggregate.length === 0) continue;
      ev.id.push(plan.eventId); ev.at.push(plan.receivedAt); ev.hops.push(plan.hops); ev.body.push(plan.eventText ?? stringifyJson(plan.event ?? null)!); ev.open.push(ids.length);
      for (const r of routes) {
        run.ev.push(plan.eventId); run.route.push(r.route); run.tpl.push(r.template ?? null); run.msg.push(storedMessageText(r));
        const first = Math.min(...r.deliveries.map((d) => d.stage));
        for (const d of r.deliveries) {
          del.id.push(d.id); del.ev.push(plan.eventId); del.route.push(r.route); del.action.push(d.action); del.stage.push(d.stage);
          del.kind.push(d.kind); del.state.push(d.stage === first ? 'pending' : 'waiting'); del.at.push(plan.receivedAt);
          const lease = held?.ids.has(d.id) ? held.lease : undefined;
          del.by.push(lease?.owner ?? null); del.until.push(lease?.until ?? 0);
        }
      }
      for (const a of aggregate) { agg.route.push(a.route); agg.ev.push(plan.eventId); agg.msg.push(JSON.stringify(a.message)); agg.at.push(plan.receivedAt); }
    }
    if (ev.id.length) {
      await c.query('INSERT INTO events (id, received_at, hops, body, open_deliveries) SELECT * FROM unnest($1::text[], $2::bigint[], $3::int[], $4::text[], $5::int[])',
        [ev.id, ev.at, ev.hops, ev.body, ev.open]);
    }
    if (run.ev.length) {
      await c.query('INSERT INTO route_runs (event_id, route, template, message) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])',
        [run.ev, run.route, run.tpl, run.msg]);
    }
    if (del.id.length) {
      await c.query(`INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, next_at, created_at, updated_at, claimed_by, lease_until)
        SELECT i, e, r, a, s, k, st, t, t, t, b, u FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::bigint[])
          AS x(i, e, r, a, s, k, st, t, b, u)`,
      [del.id, del.ev, del.route, del.action, del.stage, del.kind, del.state, del.at, del.by, del.until]);
      // Delivered at commit: other replicas wake when the rows are visible.
      await c.query('SELECT pg_notify($1, $2)', [CHANNEL, this.db.id]);
    }
    if (agg.route.length) {
      await c.query('INSERT INTO aggregate_items (route, event_id, message, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])',
        [agg.route, agg.ev, agg.msg, agg.at]);
    }
    return commits;
  }

  async claimDue(action: string, now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    // SKIP LOCKED: rows another replica is claiming right now are passed over, never waited for or taken twice.
    const { rows } = await this.db.query<{
      id: string; event_id: string; route: string; action: string; stage: number; kind: ActionKind; attempts: number; created_at: number; next_at: number;
      template: string | null; message: string; event: string; hops: number; body: string | null;
    }>(`WITH c AS (
        SELECT id FROM deliveries
        WHERE action = $1 AND state = 'pending' AND next_at <= $2 AND lease_until <= $2
        ORDER BY next_at LIMIT $3 FOR UPDATE SKIP LOCKED
      ), u AS (
        UPDATE deliveries d SET claimed_by = $4, lease_until = $5 FROM c WHERE d.id = c.id
        RETURNING d.id, d.event_id, d.route, d.action, d.stage, d.kind, d.attempts, d.created_at, d.next_at
      )
      SELECT u.id, u.event_id, u.route, u.action, u.stage, u.kind, u.attempts, u.created_at, u.next_at,
        r.template, r.message, COALESCE(r.enriched, e.body) AS event, e.hops, CASE WHEN r.enriched IS NULL THEN NULL ELSE e.body END AS body
      FROM u JOIN route_runs r ON r.event_id = u.event_id AND r.route = u.route JOIN events e ON e.id = u.event_id
      ORDER BY u.next_at`, [action, now, limit, lease.owner, lease.until]);
    return rows.map((r) => {
      const event = parseJson(r.event);
      // A native template's marker is rendered from the event as received (the body, not an enriched event).
      const message = readStoredMessage(r.message, () => (r.body === null ? event : parseJson(r.body)), r.body ?? r.event);
      return {
        id: r.id, eventId: r.event_id, route: r.route, action: r.action, stage: r.stage, kind: r.kind, attempts: r.attempts,
        ...(r.template ? { template: r.template } : {}),
        message, event, eventText: r.event, hops: r.hops, createdAt: r.created_at, dueAt: r.next_at,
      };
    });
  }

  async renewLeases(ids: string[], lease: Lease): Promise<void> {
    if (ids.length) await this.db.query("UPDATE deliveries SET lease_until = $1 WHERE id = ANY($2) AND claimed_by = $3 AND state = 'pending'", [lease.until, ids, lease.owner]);
  }

  async release(ids: string[], owner: string): Promise<void> {
    if (ids.length) {
      await this.db.query("UPDATE deliveries SET claimed_by = NULL, lease_until = 0 WHERE id = ANY($1) AND claimed_by = $2 AND state = 'pending'", [ids, owner]);
      this.notify();
    }
  }

  /**
   * A batch of finishes in a few round trips, not five per delivery (issue 12):
   * the deliveries are locked and read at once, their new states written by one
   * UPDATE and their attempts by one INSERT, the events' open counts by one
   * UPDATE; stage releases are looked for only in route runs with a waiting
   * stage. The result is what finishing them one by one gives (store suite).
   */
  async finishAttempts(items: FinishItem[]): Promise<FinishResult[]> {
    if (items.length === 0) return [];
    let releasedAny = false;
    const out = await this.db.tx(async (c) => {
      const ids = [...new Set(items.map((i) => i.id))];
      const { rows: found } = await c.query<{ id: string; event_id: string; route: string }>('SELECT id, event_id, route FROM deliveries WHERE id = ANY($1)', [ids]);
      // Route runs are locked in one order by every replica: finishing two deliveries of one stage is serialised, without deadlocks.
      const runs = [...new Map(found.map((r) => [`${r.event_id}\u0000${r.route}`, r])).values()].sort((a, b) => (a.event_id + '\u0000' + a.route < b.event_id + '\u0000' + b.route ? -1 : 1));
      if (runs.length) {
        await c.query(`SELECT 1 FROM route_runs r JOIN unnest($1::text[], $2::text[]) AS k(e, ro) ON r.event_id = k.e AND r.route = k.ro
          ORDER BY r.event_id, r.route FOR UPDATE OF r`, [runs.map((r) => r.event_id), runs.map((r) => r.route)]);
      }
      const { rows: locked } = await c.query<{ id: string; event_id: string; route: string; stage: number; state: DeliveryState; claimed_by: string | null }>(
        'SELECT id, event_id, route, stage, state, claimed_by FROM deliveries WHERE id = ANY($1) ORDER BY id FOR UPDATE', [ids]);
      const byId = new Map(locked.map((d) => [d.id, { ...d }]));
      const att = { id: [] as string[], started: [] as number[], finished: [] as number[], ok: [] as boolean[], detail: [] as Array<string | null>, log: [] as string[] };
      const upd = new Map<string, { state: DeliveryState; nextAt: number; at: number; error: string | null }>();
      const finals = new Map<string, number>();
      const stages = new Map<string, { d: { event_id: string; route: string; stage: number }; at: number; last: number }>();
      const results: FinishResult[] = items.map(({ id, owner, outcome: o }, n) => {
        const d = byId.get(id);
        // Final already, or the lease passed to another replica: this attempt is not the one on record.
        if (!d || d.state !== 'pending' || d.claimed_by !== owner) return { state: d?.state ?? 'dead', released: [], lost: true };
        const state: DeliveryState = o.ok ? 'succeeded' : o.retryAt !== undefined ? 'pending' : 'dead';
        att.id.push(id); att.started.push(o.startedAt); att.finished.push(o.finishedAt); att.ok.push(o.ok); att.detail.push(o.detail ?? null); att.log.push(JSON.stringify(o.log));
        upd.set(id, { state, nextAt: o.retryAt ?? o.finishedAt, at: o.finishedAt, error: o.ok ? null : (o.detail ?? 'failed') });
        // As the row reads once this attempt is recorded: a second attempt in the batch finds it unleased.
        d.state = state;
        d.claimed_by = null;
        if (state !== 'pending') {
          finals.set(d.event_id, (finals.get(d.event_id) ?? 0) + 1);
          const key = `${d.event_id}\u0000${d.route}\u0000${d.stage}`;
          const s = stages.get(key);
          if (s) { s.last = n; s.at = o.finishedAt; } else stages.set(key, { d, at: o.finishedAt, last: n });
        }
        return { state, released: [] };
      });
      if (att.id.length) {
        await c.query('INSERT INTO attempts (delivery_id, started_at, finished_at, ok, detail, log) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::boolean[], $5::text[], $6::text[])',
          [att.id, att.started, att.finished, att.ok, att.detail, att.log]);
        const u = [...upd];
        await c.query(`UPDATE deliveries d SET state = x.st, attempts = d.attempts + 1, next_at = x.nx, updated_at = x.at, last_error = x.er, claimed_by = NULL, lease_until = 0
          FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[]) AS x(id, st, nx, at, er) WHERE d.id = x.id`,
        [u.map(([id]) => id), u.map(([, v]) => v.state), u.map(([, v]) => v.nextAt), u.map(([, v]) => v.at), u.map(([, v]) => v.error)]);
      }
      for (const [n, { id, outcome: o }] of items.entries()) {
        const d = byId.get(id);
        if (!o.enriched || !d || results[n]!.lost || results[n]!.state === 'pending') continue;
        await c.query('UPDATE route_runs SET enriched = $1, message = COALESCE($2, message) WHERE event_id = $3 AND route = $4',
          [stringifyJson(o.enriched.event ?? null), o.enriched.message ? JSON.stringify(o.enriched.message) : null, d.event_id, d.route]);
      }
      if (stages.size) {
        const events = [...finals.keys()];
        const { rows: waitingRuns } = await c.query<{ event_id: string; route: string }>(
          "SELECT DISTINCT event_id, route FROM deliveries WHERE event_id = ANY($1) AND state = 'waiting'", [events]);
        const waiting = new Set(waitingRuns.map((r) => `${r.event_id}\u0000${r.route}`));
        for (const { d, at, last } of stages.values()) {
          if (!waiting.has(`${d.event_id}\u0000${d.route}`)) continue;
          const open = await c.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM deliveries WHERE event_id = $1 AND route = $2 AND stage = $3 AND state IN ('pending', 'waiting')",
            [d.event_id, d.route, d.stage]);
          if (open.rows[0]!.n !== 0) continue;
          const rel = await c.query<{ action: string }>(`UPDATE deliveries SET state = 'pending', next_at = $1, updated_at = $1
            WHERE event_id = $2 AND route = $3 AND state = 'waiting'
              AND stage = (SELECT MIN(stage) FROM deliveries WHERE event_id = $2 AND route = $3 AND state = 'waiting')
            RETURNING action`, [at, d.event_id, d.route]);
          results[last]!.released = rel.rows.map((r) => r.action);
          if (rel.rows.length) releasedAny = true;
        }
      }
      if (finals.size) {
        const f = [...finals];
        await c.query('UPDATE events e SET open_deliveries = e.open_deliveries - x.n FROM unnest($1::text[], $2::int[]) AS x(id, n) WHERE e.id = x.id',
          [f.map(([id]) => id), f.map(([, n]) => n)]);
      }
      if (releasedAny) await c.query('SELECT pg_notify($1, $2)', [CHANNEL, this.db.id]);
      return results;
    });
    return out;
  }

  /** Leases of dead replicas expire by themselves: nothing to free at start. */
  async resumeAtStart(now: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM deliveries WHERE state = 'pending' AND claimed_by IS NOT NULL AND lease_until <= $1", [now]);
    return rows[0]!.n;
  }

  async pendingActions(): Promise<string[]> {
    const { rows } = await this.db.query<{ action: string }>("SELECT DISTINCT action FROM deliveries WHERE state = 'pending'");
    return rows.map((r) => r.action);
  }

  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.db.query<{ t: number | null }>("SELECT MIN(GREATEST(next_at, lease_until)) AS t FROM deliveries WHERE state = 'pending'");
    return rows[0]?.t ?? undefined;
  }

  async openEvents(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM events WHERE open_deliveries > 0');
    return rows[0]!.n;
  }

  async oldestDueAgeMs(now: number): Promise<number> {
    const { rows } = await this.db.query<{ t: number | null }>("SELECT MIN(next_at) AS t FROM deliveries WHERE state = 'pending' AND next_at <= $1 AND lease_until <= $1", [now]);
    const t = rows[0]?.t;
    return t === null || t === undefined ? 0 : Math.max(0, now - t);
  }

  async oldestPendingAt(action: string, now = Date.now()): Promise<number | undefined> {
    const { rows } = await this.db.query<{ t: number | null }>("SELECT MIN(next_at) AS t FROM deliveries WHERE action = $1 AND state = 'pending' AND lease_until <= $2", [action, now]);
    return rows[0]?.t ?? undefined;
  }

  async list(filter: DeliveryFilter = {}): Promise<DeliverySummary[]> {
    const now = Date.now();
    const args: unknown[] = [];
    const where = whereOf(filter, now, args);
    args.push(Math.min(Math.max(filter.limit ?? 100, 1), 10_000));
    const { rows } = await this.db.query<DeliveryRow>(`SELECT * FROM deliveries ${where} ORDER BY created_at DESC, seq DESC LIMIT $${args.length}`, args);
    return rows.map((r) => summaryOf(r, now));
  }

  async countByState(now = Date.now()): Promise<Record<DeliveryState, number>> {
    const out = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    const { rows } = await this.db.query<{ s: DeliveryState; n: number }>(`SELECT CASE WHEN state = 'pending' AND lease_until > $1 THEN 'running' ELSE state END AS s,
      COUNT(*)::int AS n FROM deliveries GROUP BY 1`, [now]);
    for (const r of rows) out[r.s] = r.n;
    return out;
  }

  async get(id: string): Promise<(DeliverySummary & { message: RenderedMessage; attemptLog: AttemptRecord[] }) | undefined> {
    const { rows } = await this.db.query<DeliveryRow & { message: string; body: string }>(`SELECT d.*, r.message, e.body FROM deliveries d
      JOIN route_runs r ON r.event_id = d.event_id AND r.route = d.route JOIN events e ON e.id = d.event_id WHERE d.id = $1`, [id]);
    const row = rows[0];
    if (!row) return undefined;
    const att = await this.db.query<{ started_at: number; finished_at: number; ok: boolean; detail: string | null; log: string }>(
      'SELECT started_at, finished_at, ok, detail, log FROM attempts WHERE delivery_id = $1 ORDER BY id', [id]);
    return {
      ...summaryOf(row, Date.now()),
      message: readStoredMessageOf(row.message, row.body),
      attemptLog: att.rows.map((a) => ({ startedAt: a.started_at, finishedAt: a.finished_at, ok: a.ok, ...(a.detail ? { detail: a.detail } : {}), log: JSON.parse(a.log) as string[] })),
    };
  }

  async retryDead(filter: DeliveryFilter & { id?: string }, now = Date.now()): Promise<number> {
    const n = await this.db.tx(async (c) => {
      const args: unknown[] = [];
      let where = whereOf({ ...filter, state: 'dead' }, now, args);
      if (filter.id) { args.push(filter.id); where += ` AND id = $${args.length}`; }
      args.push(now);
      const { rows } = await c.query<{ event_id: string }>(`UPDATE deliveries SET state = 'pending', attempts = 0, next_at = $${args.length}, updated_at = $${args.length},
        claimed_by = NULL, lease_until = 0 ${where} RETURNING event_id`, args);
      const per = new Map<string, number>();
      for (const r of rows) per.set(r.event_id, (per.get(r.event_id) ?? 0) + 1);
      if (per.size) {
        await c.query('UPDATE events e SET open_deliveries = open_deliveries + k.n FROM unnest($1::text[], $2::int[]) AS k(id, n) WHERE e.id = k.id',
          [[...per.keys()], [...per.values()]]);
        await c.query('SELECT pg_notify($1, $2)', [CHANNEL, this.db.id]);
      }
      return rows.length;
    });
    return n;
  }

  async purgeFinished(opts: PurgeFilter = {}): Promise<number> {
    const args: unknown[] = [];
    let sql = 'SELECT id FROM events WHERE open_deliveries = 0';
    if (opts.before !== undefined) { args.push(opts.before); sql += ` AND received_at < $${args.length}`; }
    if (opts.state) { args.push(opts.state); sql += ` AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.state = $${args.length})`; }
    if (opts.route) { args.push(opts.route); sql += ` AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND ${routeAndRuns('d.route', `$${args.length}`)})`; }
    args.push(opts.limit ?? 1_000_000);
    sql += ` ORDER BY received_at LIMIT $${args.length}`;
    // Runs, deliveries and attempts go with their event (ON DELETE CASCADE).
    const r = await this.db.query(`DELETE FROM events WHERE id IN (${sql}) AND open_deliveries = 0`, args);
    return r.rowCount ?? 0;
  }

  async eventBody(id: string): Promise<unknown> {
    const { rows } = await this.db.query<{ body: string }>('SELECT body FROM events WHERE id = $1', [id]);
    return rows[0] ? parseJson(rows[0].body) : undefined;
  }
}

class PgDedupRows implements DedupRows {
  constructor(private readonly db: Db) {}

  async purgeExpired(now = Date.now()): Promise<number> {
    return (await this.db.query('DELETE FROM dedup_keys WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }

  async liveCount(now = Date.now()): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM dedup_keys WHERE expires_at > $1', [now])).rows[0]!.n;
  }
}

class PgAggregateRows implements AggregateRows {
  constructor(private readonly db: Db, private readonly deliveries: PgDeliveryRows) {}

  async count(route: string): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM aggregate_items WHERE route = $1', [route])).rows[0]!.n;
  }

  async oldest(route: string): Promise<number | undefined> {
    return (await this.db.query<{ t: number | null }>('SELECT MIN(created_at) AS t FROM aggregate_items WHERE route = $1', [route])).rows[0]?.t ?? undefined;
  }

  async routes(): Promise<string[]> {
    return (await this.db.query<{ route: string }>('SELECT DISTINCT route FROM aggregate_items')).rows.map((r) => r.route);
  }

  async flush(route: string, limit: number, build: (items: AggregateItem[]) => EventPlan | undefined): Promise<number> {
    return this.db.tx(async (c) => {
      // One replica at a time per route; the next one sees what the first left (nothing, or items not due yet).
      await c.query("SELECT pg_advisory_xact_lock(hashtext('hooker-aggregate:' || $1))", [route]);
      const { rows } = await c.query<{ id: number; event_id: string; message: string; created_at: number }>(
        'SELECT id, event_id, message, created_at FROM aggregate_items WHERE route = $1 ORDER BY id LIMIT $2', [route, limit]);
      if (rows.length === 0) return 0;
      const items = rows.map((r) => ({ id: r.id, eventId: r.event_id, message: JSON.parse(r.message) as RenderedMessage, createdAt: r.created_at }));
      const plan = build(items);
      if (!plan) return 0;
      await this.deliveries.insertPlansIn(c, [plan]);
      await c.query('DELETE FROM aggregate_items WHERE id = ANY($1)', [items.map((i) => i.id)]);
      return items.length;
    });
  }
}

class PgScanRows implements ScanRows {
  constructor(private readonly db: Db) {}

  async enqueue(request: ScanRequest, targetKey: string): Promise<{ record: ScanRecord; existing: boolean }> {
    return this.db.tx(async (c) => {
      // Two replicas queueing the same target at once: the second waits here and then finds the first one's scan.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('hooker-scan:' || $1))", [targetKey]);
      const active = await c.query<ScanRow>("SELECT * FROM scans WHERE target_key = $1 AND state IN ('queued', 'running') ORDER BY created_at LIMIT 1", [targetKey]);
      if (active.rows[0]) return { record: scanOf(active.rows[0]), existing: true };
      const { rows } = await c.query<ScanRow>(`INSERT INTO scans (id, state, scanner, target_key, request, created_at) VALUES ($1, 'queued', $2, $3, $4, $5) RETURNING *`,
        [randomUUID(), request.scanner, targetKey, JSON.stringify(request), Date.now()]);
      return { record: scanOf(rows[0]!), existing: false };
    });
  }

  /** The oldest queued scan, or a running one whose replica's lease expired (it died): claimed like a delivery. */
  async claimNext(lease: Lease): Promise<ScanRecord | undefined> {
    const now = Date.now();
    const { rows } = await this.db.query<ScanRow>(`WITH c AS (
        SELECT id FROM scans WHERE state = 'queued' OR (state = 'running' AND lease_until <= $1)
        ORDER BY created_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED
      )
      UPDATE scans s SET state = 'running', started_at = $1, attempts = attempts + 1, claimed_by = $2, lease_until = $3 FROM c WHERE s.id = c.id RETURNING s.*`,
    [now, lease.owner, lease.until]);
    return rows[0] && scanOf(rows[0]);
  }

  async finish(id: string, state: Extract<ScanState, 'passed' | 'failed' | 'error'>, outcome?: ScanOutcome, error?: string): Promise<void> {
    await this.db.query('UPDATE scans SET state = $1, finished_at = $2, outcome = $3, error = $4, claimed_by = NULL, lease_until = 0 WHERE id = $5',
      [state, Date.now(), outcome ? JSON.stringify(outcome) : null, error ?? null, id]);
  }

  async get(id: string): Promise<ScanRecord | undefined> {
    const { rows } = await this.db.query<ScanRow>('SELECT * FROM scans WHERE id = $1', [id]);
    return rows[0] && scanOf(rows[0]);
  }

  async outcome(id: string): Promise<ScanOutcome | undefined> {
    const { rows } = await this.db.query<{ outcome: string | null }>('SELECT outcome FROM scans WHERE id = $1', [id]);
    return rows[0]?.outcome ? JSON.parse(rows[0].outcome) as ScanOutcome : undefined;
  }

  async countByState(state: ScanState): Promise<number> {
    return (await this.db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM scans WHERE state = $1', [state])).rows[0]!.n;
  }

  /** Other replicas' running scans are theirs while their lease lives: only expired ones are recovered. */
  async recover(maxAttempts: number): Promise<{ resumed: string[]; failed: string[] }> {
    const now = Date.now();
    return this.db.tx(async (c) => {
      const { rows } = await c.query<{ id: string; attempts: number }>("SELECT id, attempts FROM scans WHERE state = 'running' AND lease_until <= $1 FOR UPDATE SKIP LOCKED", [now]);
      const resumed: string[] = [];
      const failed: string[] = [];
      for (const r of rows) {
        if (r.attempts < maxAttempts) {
          await c.query("UPDATE scans SET state = 'queued', started_at = NULL, claimed_by = NULL, lease_until = 0 WHERE id = $1", [r.id]);
          resumed.push(r.id);
        } else {
          await c.query("UPDATE scans SET state = 'error', finished_at = $1, error = $2 WHERE id = $3",
            [now, `interrupted by a restart after ${r.attempts} attempt(s); not resumed again`, r.id]);
          failed.push(r.id);
        }
      }
      return { resumed, failed };
    });
  }
}

class PgClusterRows implements ClusterRows {
  private readonly leaders = new Set<pg.Client>();

  constructor(private readonly db: Db, private readonly config: pg.PoolConfig) {}

  async claimTick(name: string, tick: number): Promise<boolean> {
    const r = await this.db.query('INSERT INTO schedule_ticks (name, tick) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1', [name, tick]);
    if (r.rowCount === 0) return false;
    await this.db.query('DELETE FROM schedule_ticks WHERE name = $1 AND tick < $2', [name, tick]).catch(() => {});
    return true;
  }

  /**
   * A session advisory lock on a connection of its own: held as long as that
   * connection lives, so when the leader's process dies PostgreSQL frees it
   * and the next replica to try becomes leader.
   */
  async tryLead(name: string): Promise<Leadership | undefined> {
    const client = new pg.Client({ ...this.config, types });
    let alive = true;
    client.on('error', () => { alive = false; });
    client.on('end', () => { alive = false; this.leaders.delete(client); });
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext('hooker-lead:' || $1)) AS ok", [name]);
    if (!rows[0]?.ok) { await client.end().catch(() => {}); return undefined; }
    this.leaders.add(client);
    return {
      held: () => alive,
      release: async () => { this.leaders.delete(client); await client.end().catch(() => {}); },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.leaders].map((c) => c.end().catch(() => {})));
    this.leaders.clear();
  }
}

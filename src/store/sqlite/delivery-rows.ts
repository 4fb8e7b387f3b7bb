// The durable inbox in SQLite: events, their route runs (the rendered
// message, stored once per route), the deliveries made of them and every
// attempt. All state changes are single transactions, so a crash at any point
// leaves either the old or the new state. A claim is a lease, not a state:
// one UPDATE per batch, and restart frees every lease (one process owns the file).

import type { RenderedMessage } from '../../actions/types.js';
import type { EventPlan } from '../../delivery/plan.js';
import type {
  AttemptRecord, ClaimedDelivery, DeliveryFilter, DeliveryRows, DeliveryState, DeliverySummary, FinishItem, FinishResult, HeldAtInsert, Lease, PlanCommit, PurgeFilter,
} from '../types.js';
import { DELIVERY_STATES } from '../types.js';
import type { ActionKind } from '../../delivery/plan.js';
import type { SqliteDatabase } from './db.js';
import { MESSAGE_OF_RUN, migrateCore, SHARED_MESSAGE, SPAN_MAX_MS } from './schema.js';
import { summaryOf, type DeliveryRow } from '../row-mapping.js';
import { parseJson, stringifyJson } from '../../json/lossless.js';
import { isNativeMarker, nativeMarker, readStoredMessage, readStoredMessageOf, storedMessageText } from '../stored-message.js';

function stateWhere(state: DeliveryState, now: number): { sql: string; args: unknown[] } {
  if (state === 'running') return { sql: "state = 'pending' AND lease_until > ?", args: [now] };
  if (state === 'pending') return { sql: "state = 'pending' AND lease_until <= ?", args: [now] };
  return { sql: 'state = ?', args: [state] };
}

/**
 * A route's deliveries with the runs of its items (split-by, stored as
 * `<route>[<index>]`): a byte-order range, `[` to `\\`. Takes the route name three times.
 */
const routeAndRuns = (col: string) => `(${col} = ? OR (${col} >= (? || '[') AND ${col} < (? || '\\')))`;

function whereOf(f: DeliveryFilter, now: number): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (f.state) { const s = stateWhere(f.state, now); parts.push(s.sql); args.push(...s.args); }
  if (f.route) { parts.push(routeAndRuns('route')); args.push(f.route, f.route, f.route); }
  if (f.action) { parts.push('action = ?'); args.push(f.action); }
  if (f.eventId) { parts.push('event_id = ?'); args.push(f.eventId); }
  if (f.before !== undefined) { parts.push('created_at < ?'); args.push(f.before); }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

/**
 * The message object several routes of the plan carry (rendered once for the event), if any;
 * a native template's message is not one: it is stored as its marker (stored-message.ts).
 */
function sharedMessage(routes: EventPlan['routes']): RenderedMessage | undefined {
  for (let i = 0; i < routes.length; i++) {
    if (nativeMarker(routes[i]!)) continue;
    for (let j = i + 1; j < routes.length; j++) if (routes[j]!.message === routes[i]!.message) return routes[i]!.message;
  }
  return undefined;
}

/**
 * A lone surrogate as U+FFFD: bound as is, SQLite would store the three bytes
 * of its CESU-8 form, read back as three U+FFFD (the JSON form it was passed in before wrote one).
 */
const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

/** Rows per multi-row INSERT (times 12 values for deliveries: far under SQLite's 32,766 variables). */
const BULK_ROWS = 64;

/**
 * Most attempt texts (attempt_texts, schema.ts step 9) this store makes codes for: texts that vary per
 * event (a log line with the event's data) are met once and get none (textCode), this bounds the rest.
 */
const MAX_ATTEMPT_TEXTS = 4_096;
/** Texts met once and remembered until met again (textCode); forgotten all at once when full. */
const TEXTS_SEEN = 1_024;

/** One multi-row statement (SqliteDeliveryRows.bulk): `<head><tuple>, <tuple>, ...<tail>`, its prepared forms by row count. */
interface BulkSql {
  head: string; tuple: string; width: number; tail: string;
  byRows: Array<ReturnType<SqliteDatabase['prepare']> | undefined>;
}

/** A batch's rows, flat: one value after another, a table's columns per row. */
interface BatchRows {
  events: unknown[]; runs: unknown[]; deliveries: unknown[];
  /** Receive times of the batch's deliveries per route (`r\u0000<route>`) and action (`a\u0000<action>`): its delivery_spans. */
  spans: Map<string, number[]>;
}

/** Adds a receive time to a span key's times (a batch's events mostly share a few milliseconds: repeats are skipped). */
function spanTime(spans: Map<string, number[]>, key: string, t: number): void {
  const times = spans.get(key);
  if (!times) spans.set(key, [t]);
  else if (times[times.length - 1] !== t) times.push(t);
}

/** A stored span: its receive times, first_at to last_at. */
interface Span { first: number; last: number }

/**
 * delivery_spans rows (kind, name, last_at, first_at) for each key's times
 * that the key's span in `written` (the newest this store wrote, committed)
 * does not cover; `made` gets each key's newest new span. A new span runs
 * SPAN_MAX_MS ahead of its first time, so the commits of the next second find
 * their times covered and write none: one row per route and action per second
 * instead of per commit, whose four-odd tiny rows in as many leaves of the
 * table were a tenth of a commit's WAL frames (issue 12). A span reaching past
 * the newest event is still right: the console reads the events in it that
 * have a matching delivery, and a span may hold fewer of them than its length.
 */
function spanRows(spans: Map<string, number[]>, written: ReadonlyMap<string, Span>, made: Map<string, Span>): unknown[] {
  const out: unknown[] = [];
  for (const [key, times] of spans) {
    const kind = key[0];
    const name = key.slice(2);
    const known = written.get(key);
    if (times.length > 1) times.sort((x, y) => x - y);
    let span: Span | undefined;
    for (const t of times) {
      if ((known && t >= known.first && t <= known.last) || (span && t <= span.last)) continue;
      span = { first: t, last: t + SPAN_MAX_MS };
      out.push(kind, name, span.last, span.first);
      if (!known || span.first > known.first) made.set(key, span);
    }
  }
  return out;
}

export class SqliteDeliveryRows implements DeliveryRows {
  private open: number;
  /**
   * The newest span written per key (spanRows), once its commit is done: a
   * commit whose times it covers writes no span. Only this store writes the
   * file (one process owns it); a purge, which may delete spans, forgets them.
   */
  private readonly spansWritten = new Map<string, Span>();

  constructor(readonly db: SqliteDatabase) {
    this.immediate = db.transaction((body: () => unknown) => body()).immediate as <T>(body: () => T) => T;
    migrateCore(db);
    this.open = (db.prepare('SELECT COUNT(*) AS n FROM events WHERE open_deliveries > 0').get() as { n: number }).n;
  }

  /**
   * Runs a function in one BEGIN IMMEDIATE transaction (a savepoint inside another one), made once:
   * better-sqlite3's db.transaction() builds four wrapper functions with their properties on every
   * call (~6 µs), which the hot calls (commit, claim, finish) paid each time (issue 12).
   */
  private readonly immediate: <T>(body: () => T) => T;

  private stmt(sql: string) {
    // Prepared lazily: field initialisers run before the constructor body migrates.
    let prepared: ReturnType<SqliteDatabase['prepare']> | undefined;
    return { get: () => (prepared ??= this.db.prepare(sql)) };
  }

  /**
   * Lease owners' codes (schema.ts step 8), as stored in claimed_by. Cached only once committed: a code
   * made inside a transaction that rolls back may be given to another owner afterwards.
   */
  private readonly ownerCodes = new Map<string, string>();
  private readonly addOwner = this.stmt('INSERT INTO lease_owners (owner) VALUES (?) ON CONFLICT (owner) DO NOTHING');
  private readonly findOwner = this.stmt('SELECT code FROM lease_owners WHERE owner = ?');

  /**
   * claimed_by of a lease owner: its code, made for it when `add` (a lease is being taken). null for
   * an owner that never held one here, which matches no row (SQL's NULL equals nothing).
   */
  private codeOf(owner: string, add: boolean): string | null {
    const known = this.ownerCodes.get(owner);
    if (known !== undefined) return known;
    if (add) this.addOwner.get().run(owner);
    const row = this.findOwner.get().get(owner) as { code: number } | undefined;
    if (!row) return null;
    const code = String(row.code);
    if (!this.db.inTransaction) this.ownerCodes.set(owner, code);
    return code;
  }

  /**
   * Codes of attempt texts (schema.ts step 9: JSON [detail, log]) known to be committed. A text gets
   * one the second time this process meets it, while the table has room: a text that varies per event
   * never repeats, so it stays an attempts row, and attempt_texts holds only what recurs.
   */
  private readonly textCodes = new Map<string, number>();
  private readonly textsSeen = new Set<string>();
  private textCount: number | undefined;
  private readonly addText = this.stmt('INSERT INTO attempt_texts (text) VALUES (?) ON CONFLICT (text) DO NOTHING');
  private readonly findText = this.stmt('SELECT code FROM attempt_texts WHERE text = ?');

  /** The code of an attempt's text, made now if due (outside any transaction: see finishAttempts); undefined: an attempts row. */
  private textCode(text: string): number | undefined {
    const known = this.textCodes.get(text);
    if (known !== undefined) return known;
    if (!this.textsSeen.has(text)) {
      if (this.textsSeen.size >= TEXTS_SEEN) this.textsSeen.clear();
      this.textsSeen.add(text);
      return undefined;
    }
    this.textsSeen.delete(text);
    let row = this.findText.get().get(text) as { code: number } | undefined;
    if (!row) {
      this.textCount ??= (this.db.prepare('SELECT COUNT(*) AS n FROM attempt_texts').get() as { n: number }).n;
      if (this.textCount >= MAX_ATTEMPT_TEXTS) return undefined;
      this.addText.get().run(text);
      this.textCount++;
      row = this.findText.get().get(text) as { code: number };
    }
    if (this.textCodes.size < MAX_ATTEMPT_TEXTS) this.textCodes.set(text, row.code);
    return row.code;
  }

  async openEvents(): Promise<number> {
    return this.open;
  }

  /** Every lease is a dead process's: this process is the file's only user. */
  async resumeAtStart(): Promise<number> {
    return this.db.prepare("UPDATE deliveries SET claimed_by = NULL, lease_until = 0 WHERE state = 'pending' AND claimed_by IS NOT NULL").run().changes;
  }

  // A batch's rows are inserted table by table, up to BULK_ROWS rows per statement (one prepared
  // statement per row count, kept): a few statements per batch instead of about seven per event.
  // Each statement's SQL is a BulkSql made once, holding its prepared statements by row count: a
  // key made of the SQL text and looked up in a Map on every call cost the event loop ~0.7 % at an
  // offered 1,000 events/s (a ~200-character string built and hashed ~4,000 times a second, issue 12).
  private bulkSql(head: string, tuple: string, width: number, tail = ''): BulkSql {
    return { head, tuple, width, tail, byRows: [] };
  }

  /**
   * Runs `<head><tuple>, <tuple>, ...<tail>` over `values` (`width` per tuple), up to BULK_ROWS tuples per
   * statement; with `rows`, returns what the statements return (RETURNING). Bound tuples rather than one
   * JSON text read with json_each: `j.value ->> n` parsed each item's text again for every field it read
   * (issue 12: the finish's UPDATE was the costliest statement of a delivery).
   */
  private bulk(sql: BulkSql, values: unknown[], rows: false): void;
  private bulk<T>(sql: BulkSql, values: unknown[], rows: true): T[];
  private bulk<T>(sql: BulkSql, values: unknown[], rows: boolean): T[] | void {
    const count = values.length / sql.width;
    let out: T[] | undefined;
    for (let at = 0; at < count; at += BULK_ROWS) {
      const n = Math.min(BULK_ROWS, count - at);
      // Prepared the first time a row count is met (field initialisers run before the constructor migrates).
      const stmt = sql.byRows[n] ??= this.db.prepare(`${sql.head}${Array.from({ length: n }, () => sql.tuple).join(', ')}${sql.tail}`);
      const args = n === count ? values : values.slice(at * sql.width, (at + n) * sql.width);
      if (!rows) { stmt.run(args); continue; }
      const got = stmt.all(args) as T[];
      out = out ? out.concat(got) : got;
    }
    if (rows) return out ?? [];
  }
  private readonly insertEvents = this.bulkSql('INSERT INTO events (id, received_at, hops, body, open_deliveries, message) VALUES ', '(?, ?, ?, ?, ?, ?)', 6);
  private readonly insertRuns = this.bulkSql('INSERT INTO route_runs (event_id, route, template, message) VALUES ', '(?, ?, ?, ?)', 4);
  private readonly insertDeliveries = this.bulkSql(
    'INSERT INTO deliveries (id, event_id, route, action, stage, kind, state, attempts, next_at, created_at, updated_at, claimed_by, lease_until) VALUES ',
    '(?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)', 12);
  private readonly addCounts = this.bulkSql('INSERT INTO delivery_counts (route, state, n) VALUES ', '(?, ?, ?)', 3, ' ON CONFLICT (route, state) DO UPDATE SET n = n + excluded.n');
  private readonly insertSpans = this.bulkSql('INSERT OR IGNORE INTO delivery_spans (kind, name, last_at, first_at) VALUES ', '(?, ?, ?, ?)', 4);
  // Taken only when absent or expired: a live key means the route is a duplicate.
  private readonly takeDedup = this.stmt(`INSERT INTO dedup_keys (route, key, expires_at) VALUES (?, ?, ?)
    ON CONFLICT (route, key) DO UPDATE SET expires_at = excluded.expires_at WHERE dedup_keys.expires_at <= ?`);
  private readonly insertAggregate = this.stmt('INSERT INTO aggregate_items (route, event_id, message, created_at) VALUES (?, ?, ?, ?)');

  async insertPlans(plans: EventPlan[], held?: HeldAtInsert): Promise<PlanCommit[]> {
    return this.insertPlansNow(plans, held);
  }

  /** Synchronous form, for the aggregate flush that runs inside its own transaction. */
  insertPlansNow(plans: EventPlan[], held?: HeldAtInsert): PlanCommit[] {
    return this.insertBatchesNow([{ plans, held }])[0]!;
  }

  /**
   * Several insertPlans calls in one transaction, in order (each batch's plans see the dedup keys the
   * batches before it took), answered per batch; all of them or none are stored. The SQLite writer
   * thread commits the calls queued together this way (writer-thread.ts): a commit's cost is mostly
   * the pages it writes, and the last leaves of the same dozen B-trees (the three tables, their
   * keys, the pending indexes) are written once for all of them instead of once per call.
   */
  insertBatchesNow(batches: ReadonlyArray<{ plans: EventPlan[]; held?: HeldAtInsert }>): PlanCommit[][] {
    let opened = 0;
    const spans = new Map<string, Span>();
    // Inside another transaction (the aggregate flush's) this one may still be rolled back with it: its spans are not remembered.
    const outermost = !this.db.inTransaction;
    // Made before the transaction, so that they are kept (codeOf) when this commit is the outermost.
    const heldBy = batches.map(({ held }) => (held ? this.codeOf(held.lease.owner, true) : null));
    const out = this.immediate(() => {
      const counts = new Map<string, number>();
      const rows: BatchRows = { events: [], runs: [], deliveries: [], spans: new Map() };
      const commits = batches.map(({ plans, held }, b) => plans.map((plan) => {
        const c = this.insertOne(plan, held, heldBy[b]!, counts, rows);
        if (c.deliveries.length) opened++;
        return c;
      }));
      // In this order: a route run refers to its event, a delivery to its route run.
      this.bulk(this.insertEvents, rows.events, false);
      this.bulk(this.insertRuns, rows.runs, false);
      this.bulk(this.insertDeliveries, rows.deliveries, false);
      // The per-route counters (schema.ts step 6) of the batch's deliveries, one upsert for all its (route, state)
      // pairs (not one statement per pair); triggers count every later change.
      const countRows: unknown[] = [];
      for (const [key, n] of counts) {
        const cut = key.lastIndexOf('\u0000');
        countRows.push(key.slice(0, cut), key.slice(cut + 1), n);
      }
      this.bulk(this.addCounts, countRows, false);
      // The console's route and action filters (schema.ts step 7): a row per route and action a second at most (spanRows), not an index entry per delivery.
      this.bulk(this.insertSpans, spanRows(rows.spans, this.spansWritten, spans), false);
      return commits;
    });
    if (outermost) for (const [key, span] of spans) this.spansWritten.set(key, span);
    this.open += opened;
    return out;
  }


  /** Takes the plan's dedup keys and adds its rows to the batch's; its aggregation items are inserted at once. */
  private insertOne(plan: EventPlan, held: HeldAtInsert | undefined, heldBy: string | null, counts: Map<string, number>, rows: BatchRows): PlanCommit {
    const duplicates: string[] = [];
    for (const k of plan.dedupKeys ?? []) {
      if (this.takeDedup.get().run(k.route, k.key, k.expiresAt, plan.receivedAt).changes === 0) duplicates.push(k.run ?? k.route);
    }
    const routes = duplicates.length ? plan.routes.filter((r) => !duplicates.includes(r.route)) : plan.routes;
    const aggregate = (plan.aggregate ?? []).filter((a) => !duplicates.includes(a.run ?? a.route));
    const deliveries = routes.flatMap((r) => r.deliveries.map((d) => d.id));
    // An event no route delivers or buffers carries no promise to keep.
    if (routes.length === 0 && aggregate.length === 0) return { duplicates, deliveries };
    const shared = sharedMessage(routes);
    rows.events.push(plan.eventId, plan.receivedAt, plan.hops, plan.eventText ?? stringifyJson(plan.event ?? null), deliveries.length, shared ? JSON.stringify(shared) : null);
    for (const r of routes) {
      rows.runs.push(plan.eventId, r.route, r.template ?? null, shared && r.message === shared ? SHARED_MESSAGE : storedMessageText(r));
      const first = Math.min(...r.deliveries.map((d) => d.stage));
      if (r.deliveries.length) spanTime(rows.spans, `r\u0000${r.route}`, plan.receivedAt);
      for (const d of r.deliveries) {
        spanTime(rows.spans, `a\u0000${d.action}`, plan.receivedAt);
        const lease = held?.ids.has(d.id) ? held.lease : undefined;
        const state = d.stage === first ? 'pending' : 'waiting';
        rows.deliveries.push(d.id, plan.eventId, r.route, d.action, d.stage, d.kind, state, plan.receivedAt, plan.receivedAt, plan.receivedAt,
          lease ? heldBy : null, lease?.until ?? 0);
        const key = `${r.route}\u0000${state}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    for (const a of aggregate) this.insertAggregate.get().run(a.route, plan.eventId, JSON.stringify(a.message), plan.receivedAt);
    return { duplicates, deliveries };
  }

  // A claim reads each event once (claimEvents), not once per delivery: the deliveries of one event are
  // claimed together (one per matching route), and its body was a third of a claimed row's cost (issue 12).
  // Rows come as arrays (`raw`): the row objects made column by column in the driver cost more than the JavaScript literal.
  private readonly claimSelect = this.stmt(`SELECT d.id, d.event_id, d.route, d.stage, d.kind, d.attempts, d.created_at, d.next_at, r.template, r.message, r.enriched, d.rowid
    FROM deliveries d INDEXED BY deliveries_claim_pending JOIN route_runs r ON r.event_id = d.event_id AND r.route = d.route
    WHERE d.action = ? AND d.state = 'pending' AND d.next_at <= ? AND d.lease_until <= ?
    ORDER BY d.next_at LIMIT ?`);
  private readonly claimEvents = this.stmt('SELECT id, body, hops, message FROM events WHERE id IN (SELECT value FROM json_each(?))');
  // The claimed rows are leased by the rowids the claim read, not looked up again by id through the primary key's index.
  private readonly leaseStatements: Array<ReturnType<SqliteDatabase['prepare']>> = [];
  private lease(owner: string | null, until: number, rowids: number[]): void {
    for (let at = 0; at < rowids.length; at += BULK_ROWS) {
      const part = rowids.length <= BULK_ROWS ? rowids : rowids.slice(at, at + BULK_ROWS);
      const stmt = this.leaseStatements[part.length] ??= this.db.prepare(`UPDATE deliveries SET claimed_by = ?, lease_until = ? WHERE rowid IN (${part.map(() => '?').join(', ')})`);
      stmt.run([owner, until, ...part]);
    }
  }

  async claimDue(action: string, now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const by = this.codeOf(lease.owner, true);
    return claimedOf(this.immediate(() => this.claimRowsNow(action, now, limit, by, lease.until)));
  }

  /**
   * claimDue's rows as read, not yet turned into deliveries (claimedOf): the
   * writer thread answers these, and the event loop parses each event once
   * itself instead of the thread parsing it too and cloning the result over.
   */
  async claimDueRows(action: string, now: number, limit: number, lease: Lease): Promise<ClaimRow[]> {
    if (limit <= 0) return [];
    const by = this.codeOf(lease.owner, true);
    return this.immediate(() => this.claimRowsNow(action, now, limit, by, lease.until));
  }

  /** The claim of claimDue, inside the caller's transaction; `by`: the owner's code (codeOf). */
  private claimRowsNow(action: string, now: number, limit: number, by: string | null, until: number): ClaimRow[] {
    if (limit <= 0) return [];
    const found = this.claimSelect.get().raw(true).all(action, now, now, limit) as ClaimedColumns[];
    if (found.length === 0) return [];
    this.lease(by, until, found.map((f) => f[11]));
    const eventIds = [...new Set(found.map((f) => f[1]))];
    const events = new Map<string, { body: string; hops: number; message: string | null }>();
    for (const e of this.claimEvents.get().all(JSON.stringify(eventIds)) as Array<{ id: string; body: string; hops: number; message: string | null }>) events.set(e.id, e);
    return found.map(([id, eventId, route, stage, kind, attempts, createdAt, nextAt, template, message, enriched]) => {
      const e = events.get(eventId)!;
      return {
        id, event_id: eventId, route, action, stage, kind, attempts, created_at: createdAt, next_at: nextAt, template,
        // A run holding SHARED_MESSAGE ('') has its event's message (schema.ts step 5, MESSAGE_OF_RUN).
        message: (message === '' ? e.message : message) as string,
        event: enriched ?? e.body, enriched: enriched === null ? 0 : 1, hops: e.hops, body: enriched === null ? null : e.body,
      };
    });
  }

  private readonly renewStmt = this.stmt("UPDATE deliveries SET lease_until = ? WHERE claimed_by = ? AND state = 'pending' AND id IN (SELECT value FROM json_each(?))");
  async renewLeases(ids: string[], lease: Lease): Promise<void> {
    if (ids.length) this.renewStmt.get().run(lease.until, this.codeOf(lease.owner, false), JSON.stringify(ids));
  }

  private readonly releaseStmt = this.stmt("UPDATE deliveries SET claimed_by = NULL, lease_until = 0 WHERE claimed_by = ? AND state = 'pending' AND id IN (SELECT value FROM json_each(?))");
  async release(ids: string[], owner: string): Promise<void> {
    if (ids.length) this.releaseStmt.get().run(this.codeOf(owner, false), JSON.stringify(ids));
  }

  // MIN(MAX(next_at, lease_until)) over pending rows without scanning them all: a row due after the first
  // unleased one (lease_until <= next_at) cannot come earlier, so only the rows up to it are looked at
  // (the leased ones, about what is running or claimed ahead), along the (state, next_at) index.
  private readonly nextDueStmt = this.stmt(`SELECT MIN(MAX(next_at, lease_until)) AS t FROM deliveries INDEXED BY deliveries_pending
    WHERE state = 'pending' AND next_at <= COALESCE(
      (SELECT next_at FROM deliveries INDEXED BY deliveries_pending WHERE state = 'pending' AND lease_until <= next_at ORDER BY next_at LIMIT 1),
      9007199254740991)`);
  async nextDueAt(): Promise<number | undefined> {
    const row = this.nextDueStmt.get().get() as { t: number | null };
    return row.t ?? undefined;
  }

  // One index step per action (a skip scan), not a pass over every pending delivery.
  private readonly nextPendingActionStmt = this.stmt(`SELECT action FROM deliveries INDEXED BY deliveries_claim_pending
    WHERE state = 'pending' AND action > ? ORDER BY action LIMIT 1`);
  async pendingActions(): Promise<string[]> {
    const out: string[] = [];
    for (let a = ''; ;) {
      const row = this.nextPendingActionStmt.get().get(a) as { action: string } | undefined;
      if (!row) return out;
      out.push(a = row.action);
    }
  }

  private readonly oldestDueStmt = this.stmt("SELECT MIN(next_at) AS t FROM deliveries INDEXED BY deliveries_pending WHERE state = 'pending' AND next_at <= ? AND lease_until <= ?");
  async oldestDueAgeMs(now: number): Promise<number> {
    const row = this.oldestDueStmt.get().get(now, now) as { t: number | null };
    return row.t === null ? 0 : Math.max(0, now - row.t);
  }

  private readonly oldestPendingStmt = this.stmt("SELECT MIN(next_at) AS t FROM deliveries INDEXED BY deliveries_claim_pending WHERE action = ? AND state = 'pending' AND lease_until <= ?");
  async oldestPendingAt(action: string, now = Date.now()): Promise<number | undefined> {
    return (this.oldestPendingStmt.get().get(action, now) as { t: number | null }).t ?? undefined;
  }

  // A batch of finishes is a few statements, not four per delivery (issue 12): an UPDATE of a
  // delivery, even one that matches no row, opens a cursor on every index of the table, and the
  // statements' own overhead was most of a finish. One UPDATE records every attempt of the batch
  // (guarded by the lease: only the owner's attempt on a still-pending delivery is recorded), one
  // multi-row INSERT their attempt rows, one UPDATE the events' open counts; a stage release is
  // looked for only in route runs that still have a waiting stage (one query for the batch).
  // The outcomes as bound tuples (id, state, next_at, updated_at, last_error, owner's code, ok_text, ok_ms), see bulk().
  private readonly finishSql = this.bulkSql(`UPDATE deliveries SET state = f.column2, attempts = attempts + 1, next_at = f.column3, updated_at = f.column4,
      last_error = f.column5, claimed_by = NULL, lease_until = 0, ok_text = f.column7, ok_ms = f.column8 FROM (VALUES `, '(?, ?, ?, ?, ?, ?, ?, ?)', 8,
  `) AS f WHERE deliveries.id = f.column1 AND deliveries.state = 'pending' AND deliveries.claimed_by = f.column6
    RETURNING deliveries.id, event_id, route, stage`);
  private finishUpdate(values: unknown[]): Array<{ id: string; event_id: string; route: string; stage: number }> {
    return this.bulk(this.finishSql, values, true);
  }
  private readonly insertAttempts = this.bulkSql('INSERT INTO attempts (delivery_id, started_at, finished_at, ok, detail, log) VALUES ', '(?, ?, ?, ?, ?, ?)', 6);
  private readonly stateOf = this.stmt('SELECT state FROM deliveries WHERE id = ?');
  private readonly enrich = this.stmt('UPDATE route_runs SET enriched = ?, message = COALESCE(?, message) WHERE event_id = ? AND route = ?');
  // The events' final outcomes as bound tuples (id, count).
  private readonly closeSql = this.bulkSql('UPDATE events SET open_deliveries = open_deliveries - f.column2 FROM (VALUES ', '(?, ?)', 2,
    ') AS f WHERE events.id = f.column1 RETURNING open_deliveries');
  private closeDeliveries(values: unknown[]): Array<{ open_deliveries: number }> {
    return this.bulk(this.closeSql, values, true);
  }
  // Whether a route (or split run) has any waiting delivery: its counter (schema.ts step 6), kept up to date in this
  // transaction by the triggers. Most routes have one stage: their finishes then need not read their events' deliveries.
  private readonly waitingCount = this.stmt("SELECT n FROM delivery_counts WHERE route = ? AND state = 'waiting'");
  // The finished events' route runs that have a waiting stage: only those can release one.
  private readonly waitingRuns = this.stmt(`SELECT DISTINCT event_id, route FROM deliveries
    WHERE state = 'waiting' AND event_id IN (SELECT value FROM json_each(?))`);
  // The route's next waiting stage becomes pending once no delivery of the finished stage is unfinished.
  // Both subqueries are uncorrelated (evaluated once); a route without waiting stages finds no row at once.
  private readonly releaseStage = this.stmt(`UPDATE deliveries SET state = 'pending', next_at = ?, updated_at = ?
      WHERE event_id = ? AND route = ? AND state = 'waiting'
        AND stage = (SELECT MIN(stage) FROM deliveries WHERE event_id = ? AND route = ? AND state = 'waiting')
        AND NOT EXISTS (SELECT 1 FROM deliveries WHERE event_id = ? AND route = ? AND stage = ? AND state IN ('pending', 'waiting'))
      RETURNING action`);

  async finishAttempts(items: FinishItem[]): Promise<FinishResult[]> {
    let closed = 0;
    // Successes' text codes (schema.ts step 9), made before the transaction so that a code is cached only once committed:
    // inside another transaction (which may roll back) every attempt is a row.
    const codes: Array<number | undefined> = new Array(items.length);
    if (!this.db.inTransaction) {
      for (let i = 0; i < items.length; i++) {
        const o = items[i]!.outcome;
        if (o.ok) codes[i] = this.textCode(JSON.stringify([o.detail ?? null, o.log]));
      }
    }
    const out = this.immediate(() => {
      const results: FinishResult[] = [];
      // The same delivery twice in a batch: its second attempt is recorded after the first, as if one by one.
      for (let at = 0; at < items.length;) {
        const ids = new Set<string>();
        let end = at;
        while (end < items.length && !ids.has(items[end]!.id)) ids.add(items[end++]!.id);
        const part = this.finishPart(items.slice(at, end), codes.slice(at, end));
        closed += part.closed;
        results.push(...part.results);
        at = end;
      }
      return results;
    });
    this.open -= closed;
    return out;
  }

  /**
   * Records a batch of attempts on distinct deliveries, with what recording
   * them one by one would give: each final outcome releases the route's next
   * stage once its own stage has nothing unfinished (credited to the last of
   * the batch's deliveries of that stage), and each event's open count falls
   * by its final outcomes. `codes`: the successes' text codes (finishAttempts), each kept in its delivery's row.
   */
  private finishPart(items: FinishItem[], codes: Array<number | undefined>): { results: FinishResult[]; closed: number } {
    const stateOf = (o: FinishItem['outcome']): DeliveryState => (o.ok ? 'succeeded' : o.retryAt !== undefined ? 'pending' : 'dead');
    const values: unknown[] = [];
    items.forEach(({ id, owner, outcome: o }, n) => {
      const code = codes[n];
      values.push(id, stateOf(o), o.retryAt ?? o.finishedAt, o.finishedAt, o.ok ? null : wellFormed(o.detail ?? 'failed'), this.codeOf(owner, false),
        code ?? null, code === undefined ? null : o.finishedAt - o.startedAt);
    });
    const updated = this.finishUpdate(values);
    const rowOf = new Map(updated.map((r) => [r.id, r]));
    const attemptRows: unknown[] = [];
    const results: FinishResult[] = items.map(({ id, outcome: o }, n) => {
      if (!rowOf.has(id)) {
        // Gone (purged), already final, or claimed by someone else since: this attempt is not the one on record.
        const now = this.stateOf.get().get(id) as { state: DeliveryState } | undefined;
        return { state: now?.state ?? 'dead', released: [], lost: true };
      }
      if (codes[n] === undefined) attemptRows.push(id, o.startedAt, o.finishedAt, o.ok ? 1 : 0, o.detail ?? null, JSON.stringify(o.log));
      return { state: stateOf(o), released: [] };
    });
    this.bulk(this.insertAttempts, attemptRows, false);
    // Final outcomes per event, applied to its open count once per batch; the stages they may release.
    const finals = new Map<string, number>();
    const stages = new Map<string, { row: { event_id: string; route: string; stage: number }; at: number; last: number }>();
    items.forEach(({ id, outcome: o }, n) => {
      const row = rowOf.get(id);
      if (!row || results[n]!.state === 'pending') return;
      if (o.enriched) {
        this.enrich.get().run(stringifyJson(o.enriched.event ?? null), o.enriched.message ? JSON.stringify(o.enriched.message) : null, row.event_id, row.route);
      }
      finals.set(row.event_id, (finals.get(row.event_id) ?? 0) + 1);
      const key = `${row.event_id}\u0000${row.route}\u0000${row.stage}`;
      const s = stages.get(key);
      if (s) { s.last = n; s.at = o.finishedAt; } else stages.set(key, { row, at: o.finishedAt, last: n });
    });
    // Runs of routes with no waiting delivery at all are left out at once (a counter read per route, not each event's deliveries read).
    const staged: string[] = [];
    const routeWaits = new Map<string, boolean>();
    for (const { row } of stages.values()) {
      let waits = routeWaits.get(row.route);
      if (waits === undefined) routeWaits.set(row.route, waits = ((this.waitingCount.get().get(row.route) as { n: number } | undefined)?.n ?? 0) > 0);
      if (waits) staged.push(row.event_id);
    }
    if (staged.length) {
      const waiting = new Set((this.waitingRuns.get().all(JSON.stringify([...new Set(staged)])) as Array<{ event_id: string; route: string }>)
        .map((r) => `${r.event_id}\u0000${r.route}`));
      for (const { row: d, at, last } of stages.values()) {
        if (!waiting.has(`${d.event_id}\u0000${d.route}`)) continue;
        results[last]!.released = (this.releaseStage.get().all(at, at, d.event_id, d.route, d.event_id, d.route, d.event_id, d.route, d.stage) as Array<{ action: string }>).map((r) => r.action);
      }
    }
    let closed = 0;
    if (finals.size) {
      const values: unknown[] = [];
      for (const [id, n] of finals) values.push(id, n);
      const left = this.closeDeliveries(values);
      for (const ev of left) if (ev.open_deliveries === 0) closed++;
    }
    return { results, closed };
  }

  async list(filter: DeliveryFilter = {}): Promise<DeliverySummary[]> {
    const now = Date.now();
    const w = whereOf(filter, now);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 10_000);
    const rows = this.db.prepare(`SELECT * FROM deliveries ${w.sql} ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(...w.args, limit) as DeliveryRow[];
    return rows.map((r) => summaryOf(r, now));
  }

  async countByState(now = Date.now()): Promise<Record<DeliveryState, number>> {
    const out = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    // The counters of schema.ts step 6, not a pass over every delivery; running ones are the pending under a live lease.
    const rows = this.db.prepare('SELECT state AS s, SUM(n) AS n FROM delivery_counts GROUP BY state').all() as Array<{ s: DeliveryState; n: number }>;
    for (const r of rows) out[r.s] = r.n;
    const running = this.db.prepare("SELECT COUNT(*) AS n FROM deliveries INDEXED BY deliveries_pending WHERE state = 'pending' AND lease_until > ?").get(now) as { n: number };
    out.running = running.n;
    out.pending -= running.n;
    return out;
  }

  async get(id: string): Promise<(DeliverySummary & { message: RenderedMessage; attemptLog: AttemptRecord[] }) | undefined> {
    const row = this.db.prepare('SELECT * FROM deliveries WHERE id = ?').get(id) as (DeliveryRow & { ok_text: number | null; ok_ms: number | null }) | undefined;
    if (!row) return undefined;
    const run = this.db.prepare(`SELECT ${MESSAGE_OF_RUN} AS message, e.body FROM route_runs r JOIN events e ON e.id = r.event_id WHERE r.event_id = ? AND r.route = ?`).get(row.event_id, row.route) as { message: string; body: string };
    const attempts = this.db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id').all(id) as Array<{ started_at: number; finished_at: number; ok: number; detail: string | null; log: string }>;
    const attemptLog: AttemptRecord[] = attempts.map((a) => ({ startedAt: a.started_at, finishedAt: a.finished_at, ok: a.ok === 1, ...(a.detail ? { detail: a.detail } : {}), log: JSON.parse(a.log) as string[] }));
    // A success kept in the row (schema.ts step 9) is the last attempt: it finished at updated_at.
    if (row.ok_text !== null) {
      const { text } = this.db.prepare('SELECT text FROM attempt_texts WHERE code = ?').get(row.ok_text) as { text: string };
      const [detail, log] = JSON.parse(text) as [string | null, string[]];
      attemptLog.push({ startedAt: row.updated_at - row.ok_ms!, finishedAt: row.updated_at, ok: true, ...(detail ? { detail } : {}), log });
    }
    return { ...summaryOf(row, Date.now()), message: readStoredMessageOf(run.message, run.body), attemptLog };
  }

  async retryDead(filter: DeliveryFilter & { id?: string }, now = Date.now()): Promise<number> {
    let changed = 0;
    this.db.transaction(() => {
      const w = whereOf({ ...filter, state: 'dead' }, now);
      const idPart = filter.id ? `${w.sql ? ' AND' : 'WHERE'} id = ?` : '';
      const rows = this.db.prepare(`SELECT id, event_id FROM deliveries ${w.sql}${idPart}`).all(...w.args, ...(filter.id ? [filter.id] : [])) as Array<{ id: string; event_id: string }>;
      const revive = this.db.prepare("UPDATE deliveries SET state = 'pending', attempts = 0, next_at = ?, updated_at = ?, claimed_by = NULL, lease_until = 0 WHERE id = ?");
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

  async purgeFinished(opts: PurgeFilter = {}): Promise<number> {
    const args: unknown[] = [];
    let sql = 'SELECT id FROM events WHERE open_deliveries = 0';
    if (opts.before !== undefined) { sql += ' AND received_at < ?'; args.push(opts.before); }
    if (opts.state) { sql += ' AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.state = ?)'; args.push(opts.state); }
    if (opts.route) { sql += ` AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND ${routeAndRuns('d.route')})`; args.push(opts.route, opts.route, opts.route); }
    sql += ' ORDER BY received_at LIMIT ?';
    args.push(opts.limit ?? 1_000_000);
    let n = 0;
    this.db.transaction(() => {
      const ids = (this.db.prepare(sql).all(...args) as Array<{ id: string }>).map((r) => r.id);
      const del = this.db.prepare('DELETE FROM events WHERE id = ?');
      const delDeliveries = this.db.prepare('DELETE FROM deliveries WHERE event_id = ?');
      for (const id of ids) { delDeliveries.run(id); n += del.run(id).changes; }
      // Spans older than every stored event lead nowhere (schema.ts step 7); those remembered may be among them.
      this.spansWritten.clear();
      if (n) this.db.prepare('DELETE FROM delivery_spans WHERE last_at < (SELECT IFNULL(MIN(received_at), 9007199254740991) FROM events)').run();
    }).immediate();
    return n;
  }

  async eventBody(id: string): Promise<unknown> {
    const row = this.db.prepare('SELECT body FROM events WHERE id = ?').get(id) as { body: string } | undefined;
    return row ? parseJson(row.body) : undefined;
  }
}

/** The claim query's columns, in its order. */
type ClaimedColumns = [id: string, eventId: string, route: string, stage: number, kind: ActionKind, attempts: number, createdAt: number, nextAt: number,
  template: string | null, message: string, enriched: string | null, rowid: number];

/** A claimed row, as claimRowsNow makes it from the claim query and its events. */
export interface ClaimRow {
  id: string; event_id: string; route: string; action: string; stage: number; kind: ActionKind; attempts: number; created_at: number; next_at: number;
  template: string | null; message: string; event: string; enriched: number; hops: number; body: string | null;
}

/**
 * Claimed rows as deliveries: each event (or enriched run) parsed once, and
 * only when first read, each message read once, shared by the batch's
 * deliveries. The parse is deferred because the http action sends the
 * stored text and reads the event only for `event.input` references, and
 * the message of a native template is rendered only when read: parsing
 * every claimed event at once was 2.4 % of the event loop in the sustained
 * phase, and the parsed events were most of what claims left to the
 * collector (issue 12, BENCHMARKS.md "session 12: deliver"). A stored event
 * is the text its 202 was given for, so a parse that fails cannot be met
 * here; if it were, reading `event` throws and the delivery's attempt fails.
 */
export function claimedOf(rows: ClaimRow[]): ClaimedDelivery[] {
  // The deliveries of one event (or enriched route run) in a batch share one parsed event and message:
  // actions only read them, and the http action serialises a shared event once.
  const events = new Map<string, ParsedOnRead>();
  const messages = new Map<string, RenderedMessage>();
  return rows.map((r) => {
    const run = `${r.event_id}\u0000${r.route}`;
    const eventKey = r.enriched ? run : r.event_id;
    let event = events.get(eventKey);
    if (event === undefined) events.set(eventKey, event = new ParsedOnRead(r.event));
    // A native template's message (a marker) is rendered from the event as received, once per event.
    const native = isNativeMarker(r.message);
    const messageKey = native ? `${r.event_id}\u0000${r.message}` : run;
    let message = messages.get(messageKey);
    if (!message) {
      const parsed = event;
      message = native ? readStoredMessage(r.message, r.body === null ? () => parsed.value() : () => parseJson(r.body!), r.body ?? r.event) : JSON.parse(r.message) as RenderedMessage;
      messages.set(messageKey, message);
    }
    return new ClaimedRow(r, message, event);
  });
}

/** The event of a stored text, parsed the first time it is asked for (claimedOf). */
class ParsedOnRead {
  private parsed: unknown;
  private done = false;
  constructor(readonly text: string) {}
  value(): unknown {
    if (!this.done) { this.parsed = parseJson(this.text); this.done = true; }
    return this.parsed;
  }
}

/**
 * A claimed delivery whose `event` is a getter on the class, not on each
 * object: an object literal's getter is made anew for every object, through
 * the runtime (measured: claimedOf cost more with one than with the parse it
 * saved). A spread of it carries no `event`: the scheduler builds its jobs
 * field by field.
 */
class ClaimedRow implements ClaimedDelivery {
  readonly id: string; readonly eventId: string; readonly route: string; readonly action: string; readonly stage: number;
  readonly kind: ActionKind; readonly attempts: number; readonly template?: string; readonly message: RenderedMessage;
  readonly eventText: string; readonly hops: number; readonly createdAt: number; readonly dueAt: number;
  constructor(r: ClaimRow, message: RenderedMessage, private readonly parsed: ParsedOnRead) {
    this.id = r.id; this.eventId = r.event_id; this.route = r.route; this.action = r.action; this.stage = r.stage; this.kind = r.kind;
    this.attempts = r.attempts;
    if (r.template) this.template = r.template;
    this.message = message; this.eventText = r.event; this.hops = r.hops; this.createdAt = r.created_at; this.dueAt = r.next_at;
  }
  get event(): unknown { return this.parsed.value(); }
}

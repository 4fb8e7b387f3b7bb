// Read queries of the web console (src/ui): stored events newest first with
// filters and cursors, one event with its runs and deliveries, dead letters
// grouped by route and action, per-route counters and the scan history. Every
// list pages by an opaque cursor and each filter has an index (schema.ts step
// 1), so a page costs the same with a million stored events as with ten. The
// text index is filled behind the write path (schema.ts step 2) by a worker
// thread (startTextIndexer), and by each text search for the newest events.
// The same reads on PostgreSQL are in postgres/console-rows.ts (ConsoleReads
// is what both implement); the types, cursors and row mapping here are shared.

import { Worker } from 'node:worker_threads';
import type { RenderedMessage } from '../actions/types.js';
import type { SqliteDatabase } from './sqlite/db.js';
import { sqliteEntry } from './sqlite/driver.js';
import { MESSAGE_OF_RUN, SPAN_MAX_MS } from './sqlite/schema.js';
import { DELIVERY_STATES, type DeliveryState } from './types.js';
import { parseJson } from '../json/lossless.js';
import { readStoredMessage } from './stored-message.js';

export interface EventListFilter {
  /** Words or a phrase anywhere in the event (full-text index, case-insensitive, whole tokens; a trailing `*` matches a prefix). */
  text?: string;
  route?: string;
  action?: string;
  state?: DeliveryState;
  /** received_at >= since (ms). */
  since?: number;
  /** received_at < until (ms). */
  until?: number;
  limit?: number;
  cursor?: string;
}

export interface EventListItem {
  id: string;
  receivedAt: number;
  hops: number;
  /** Unfinished deliveries (> 0: still in the inbox). */
  openDeliveries: number;
  /** The start of the event's JSON, to recognise it in a list. */
  preview: string;
  /** Each delivery of the event: route, action, state. */
  deliveries: Array<{ route: string; action: string; state: DeliveryState }>;
}

export interface Page<T> { items: T[]; next?: string }

export interface StoredRouteRun {
  route: string;
  template?: string;
  message: RenderedMessage;
  /** The event as a ReadAndWrite action left it for the later stages. */
  enriched?: unknown;
}

export interface StoredEvent {
  id: string;
  receivedAt: number;
  hops: number;
  openDeliveries: number;
  body: unknown;
  runs: StoredRouteRun[];
}

export interface DeadLetterGroup { route: string; action: string; count: number; lastAt: number; lastError?: string }

export interface DeadLetter { id: string; eventId: string; route: string; action: string; attempts: number; createdAt: number; updatedAt: number; lastError?: string }

export interface RouteCounters { route: string; states: Record<DeliveryState, number> }

export interface ScanListItem {
  id: string; state: string; scanner: string; target: unknown; profile?: string; threshold?: string;
  createdAt: number; startedAt?: number; finishedAt?: number; error?: string;
  /** Threshold verdict and findings count when finished. */
  outcome?: { findings: number; threshold?: { name?: string; passed: boolean; compliance?: number; broken?: unknown } };
}

export class CursorError extends Error {}

/** The console's reads, one implementation per storage engine. */
export interface ConsoleReads {
  listEvents(f: EventListFilter): Promise<Page<EventListItem>>;
  event(id: string): Promise<StoredEvent | undefined>;
  deadLetterGroups(): Promise<DeadLetterGroup[]>;
  deadLetters(f: { route?: string; action?: string; limit?: number; cursor?: string }): Promise<Page<DeadLetter>>;
  routeCounters(): Promise<RouteCounters[]>;
  scans(f: { state?: string; limit?: number; cursor?: string }): Promise<Page<ScanListItem>>;
  /** Stored events whose text contains these words (newest first). */
  eventsMentioning(text: string, limit?: number): Promise<string[]>;
  /** Keeps a text index filled in the background until the returned function is called (a no-op where search needs no index). */
  startTextIndexer(onError: (message: string) => void): () => void;
}

/** Events added to the text index per transaction (small: the write lock is held while they are tokenized). */
export const TEXT_INDEX_BATCH = 100;
/**
 * The indexer connection's page cache (KiB). better-sqlite3 builds SQLite
 * with a 16 MiB default per connection, which a connection that only reads
 * recent bodies and appends index segments fills and keeps for nothing.
 */
const INDEXER_CACHE_KIB = 2048;
/** How long the indexer waits when it has caught up. */
export const TEXT_INDEX_IDLE_MS = 500;

/** The indexer's statements, shared by this thread and the worker. */
const INDEX_SQL = {
  progress: 'SELECT last_rowid FROM events_text_progress WHERE id = 1',
  next: 'SELECT rowid AS r, body FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?',
  add: 'INSERT INTO events_text (rowid, body) VALUES (?, ?)',
  advance: 'UPDATE events_text_progress SET last_rowid = ? WHERE id = 1',
} as const;

/** One batch, inside the caller's transaction. */
function indexBatch(db: SqliteDatabase, max: number): number {
  const { last_rowid: from } = db.prepare(INDEX_SQL.progress).get() as { last_rowid: number };
  const rows = db.prepare(INDEX_SQL.next).all(from, max) as Array<{ r: number; body: string }>;
  if (rows.length === 0) return 0;
  const add = db.prepare(INDEX_SQL.add);
  for (const r of rows) add.run(r.r, r.body);
  db.prepare(INDEX_SQL.advance).run(rows.at(-1)!.r);
  return rows.length;
}

// The worker (plain JavaScript, so it runs from the sources under tests as
// from dist/): its own connection to the same WAL file, one short write
// transaction per batch, a pause between batches so the server's writers
// get the lock, a longer one when there is nothing new.
const INDEXER_WORKER = `
const { parentPort, workerData: w } = require('node:worker_threads');
const Database = require(w.sqlite);
const db = new Database(w.file);
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = ' + w.cacheKiB);
const q = Object.fromEntries(Object.entries(w.sql).map(([k, v]) => [k, db.prepare(v)]));
const batch = db.transaction(() => {
  const from = q.progress.get().last_rowid;
  const rows = q.next.all(from, w.batch);
  for (const r of rows) q.add.run(r.r, r.body);
  if (rows.length) q.advance.run(rows[rows.length - 1].r);
  return rows.length;
});
const loop = () => {
  let n = 0;
  try { n = batch.immediate(); } catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); }
  setTimeout(loop, n === w.batch ? 5 : w.idleMs);
};
loop();
`;

const MAX_LIMIT = 200;
/** Spans the route and action filters read per request at most (eventsBySpans), then answer with a cursor. */
const SPAN_BUDGET = 2_000;
/** Above every event id (time-ordered UUIDs and test ids are ASCII): a cursor at the end of a millisecond. */
const TOP_ID = '\u{10FFFF}';
/** Text search looks at this many index matches (PostgreSQL: stored events) per request at most, then answers with a cursor. */
export const TEXT_SCAN_BUDGET = 5_000;

export function clampLimit(n: number | undefined, fallback = 50): number {
  return Math.min(Math.max(Math.floor(n ?? fallback) || fallback, 1), MAX_LIMIT);
}

/** Lists by time (t, id); the SQLite text search by index row (r); the PostgreSQL text scan by time, as its own kind (s, id). */
export type TimeCursor = { t: number; id: string };
type RowCursor = { r: number };
type ScanCursor = { s: number; id: string };

export function encodeCursor(c: TimeCursor | RowCursor | ScanCursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/**
 * One page of rows read with LIMIT limit + 1: the first `limit`, and the
 * cursor of the last one kept when the extra row says there are more.
 */
export function pageOf<R>(rows: R[], limit: number, cursorOf: (r: R) => TimeCursor | RowCursor | ScanCursor): { rows: R[]; next?: string } {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { rows: kept, ...(rows.length > limit && last ? { next: encodeCursor(cursorOf(last)) } : {}) };
}

/** `rows` in the order of `ids` (an IN / ANY lookup returns them in any order). */
export function inIdOrder<R extends { id: string }>(ids: string[], rows: R[]): R[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r): r is R => r !== undefined);
}

export function decodeCursor<T extends TimeCursor | RowCursor | ScanCursor>(s: string | undefined, kind: 't' | 'r' | 's'): T | undefined {
  if (s === undefined || s === '') return undefined;
  let v: unknown;
  try { v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')); } catch { throw new CursorError('cursor is not one this server gave out'); }
  const o = v as Record<string, unknown>;
  if ((kind === 't' || kind === 's') && typeof o?.[kind] === 'number' && typeof o['id'] === 'string') return { [kind]: o[kind], id: o['id'] } as T;
  if (kind === 'r' && typeof o?.['r'] === 'number') return { r: o['r'] } as T;
  throw new CursorError('cursor does not belong to this list or these filters');
}

/** The words of the user's text (letters and digits, as the SQLite index splits them), and whether the last one is a prefix (`word*`). */
export function searchTokens(text: string): { tokens: string[]; prefix: boolean } {
  const t = text.trim();
  return { tokens: t.match(/[\p{L}\p{N}]+/gu) ?? [], prefix: t.endsWith('*') };
}

/** Delivery rows grouped per event, in the events' order. */
export function eventItems(rows: EventRow[], ds: Array<{ event_id: string; route: string; action: string; state: DeliveryState }>): EventListItem[] {
  const by = new Map<string, EventListItem['deliveries']>();
  for (const d of ds) {
    let list = by.get(d.event_id);
    if (!list) by.set(d.event_id, list = []);
    list.push({ route: d.route, action: d.action, state: d.state });
  }
  return rows.map((r) => ({ id: r.id, receivedAt: r.received_at, hops: r.hops, openDeliveries: r.open_deliveries, preview: r.preview, deliveries: by.get(r.id) ?? [] }));
}

export interface RouteRunRow { route: string; template: string | null; message: string; enriched: string | null }

export function storedEvent(e: { id: string; received_at: number; hops: number; open_deliveries: number; body: string }, runs: RouteRunRow[]): StoredEvent {
  const body = parseJson(e.body);
  return {
    id: e.id, receivedAt: e.received_at, hops: e.hops, openDeliveries: e.open_deliveries, body,
    runs: runs.map((r) => ({
      route: r.route, ...(r.template ? { template: r.template } : {}), message: readStoredMessage(r.message, () => body),
      ...(r.enriched ? { enriched: JSON.parse(r.enriched) as unknown } : {}),
    })),
  };
}

export interface DeadLetterRow { id: string; event_id: string; route: string; action: string; attempts: number; created_at: number; updated_at: number; last_error: string | null }

export function deadLetterPage(rows: DeadLetterRow[], limit: number): Page<DeadLetter> {
  const page = pageOf(rows, limit, (r) => ({ t: r.created_at, id: r.id }));
  return {
    items: page.rows.map((r) => ({ id: r.id, eventId: r.event_id, route: r.route, action: r.action, attempts: r.attempts, createdAt: r.created_at, updatedAt: r.updated_at, ...(r.last_error ? { lastError: r.last_error } : {}) })),
    ...(page.next ? { next: page.next } : {}),
  };
}

export interface DeadLetterGroupRow { route: string; action: string; n: number; last_at: number; last_error: string | null }

export function deadLetterGroupsOf(rows: DeadLetterGroupRow[]): DeadLetterGroup[] {
  return rows.map((r) => ({ route: r.route, action: r.action, count: r.n, lastAt: r.last_at, ...(r.last_error ? { lastError: r.last_error } : {}) }));
}

export function routeCountersOf(rows: Array<{ route: string; state: DeliveryState; n: number }>): RouteCounters[] {
  const by = new Map<string, Record<DeliveryState, number>>();
  for (const r of rows) {
    let s = by.get(r.route);
    if (!s) by.set(r.route, s = Object.fromEntries(DELIVERY_STATES.map((k) => [k, 0])) as Record<DeliveryState, number>);
    s[r.state] += r.n;
  }
  return [...by].map(([route, states]) => ({ route, states }));
}

export interface ScanListRow { id: string; state: string; scanner: string; request: string; created_at: number; started_at: number | null; finished_at: number | null; error: string | null; outcome: string | null }

export function scanPage(rows: ScanListRow[], limit: number): Page<ScanListItem> {
  const page = pageOf(rows, limit, (r) => ({ t: r.created_at, id: r.id }));
  return {
    items: page.rows.map((r) => {
      const req = JSON.parse(r.request) as { target?: unknown; profile?: string; threshold?: string };
      const out = r.outcome ? JSON.parse(r.outcome) as { report?: { findings?: unknown[] }; threshold?: { name?: string; passed: boolean; compliance?: number; broken?: unknown } } : undefined;
      return {
        id: r.id, state: r.state, scanner: r.scanner, target: req.target, ...(req.profile ? { profile: req.profile } : {}), ...(req.threshold ? { threshold: req.threshold } : {}),
        createdAt: r.created_at, ...(r.started_at ? { startedAt: r.started_at } : {}), ...(r.finished_at ? { finishedAt: r.finished_at } : {}), ...(r.error ? { error: r.error } : {}),
        ...(out ? { outcome: { findings: out.report?.findings?.length ?? 0, ...(out.threshold ? { threshold: { name: out.threshold.name, passed: out.threshold.passed, compliance: out.threshold.compliance, broken: out.threshold.broken } } : {}) } } : {}),
      };
    }),
    ...(page.next ? { next: page.next } : {}),
  };
}

/** The user's text as one FTS5 phrase (quotes doubled), a trailing `*` kept as a prefix match. */
export function ftsPhrase(text: string): string | undefined {
  let t = text.trim();
  const prefix = t.endsWith('*');
  if (prefix) t = t.slice(0, -1).trim();
  if (!/[\p{L}\p{N}]/u.test(t)) return undefined;
  return `"${t.replace(/"/g, '""')}"${prefix ? '*' : ''}`;
}

/**
 * The SQL of a delivery's route, action and state filters (`p`: the table's prefix), its values pushed to
 * `args`. Running is a pending delivery under a live lease (types.ts); dead is written as a literal so the
 * partial index on dead letters (schema.ts step 6) can serve it.
 */
function deliveryWhere(f: { route?: string; action?: string; state?: DeliveryState }, p: string, args: unknown[]): string {
  const parts: string[] = [];
  if (f.route) { parts.push(`${p}route = ?`); args.push(f.route); }
  if (f.action) { parts.push(`${p}action = ?`); args.push(f.action); }
  if (f.state === 'running' || f.state === 'pending') { parts.push(`${p}state = 'pending' AND ${p}lease_until ${f.state === 'running' ? '>' : '<='} ?`); args.push(Date.now()); }
  else if (f.state === 'dead') parts.push(`${p}state = 'dead'`);
  else if (f.state) { parts.push(`${p}state = ?`); args.push(f.state); }
  return parts.length ? parts.join(' AND ') : '1';
}

export interface EventRow { id: string; received_at: number; hops: number; open_deliveries: number; preview: string }

/** The SQLite implementation. */
export class ConsoleQueries implements ConsoleReads {
  constructor(private readonly db: SqliteDatabase) {}

  /**
   * Adds up to `max` events stored since the last call to the text index
   * (oldest first); returns how many. Cheap when there is nothing new.
   */
  async indexText(max = TEXT_INDEX_BATCH): Promise<number> {
    return this.indexTextNow(max);
  }

  private indexTextNow(max: number): number {
    return this.db.transaction(() => indexBatch(this.db, max)).immediate();
  }

  /**
   * Keeps the text index filled in the background until the returned
   * function is called: in a worker thread with its own connection (a file
   * database), so tokenizing bodies never blocks the server's event loop;
   * on a timer in this thread for an in-memory database.
   */
  startTextIndexer(onError: (message: string) => void): () => void {
    const file = this.db.name;
    if (!file || file === ':memory:' || this.db.memory) {
      const timer = setInterval(() => { try { this.indexTextNow(TEXT_INDEX_BATCH); } catch (e) { onError((e as Error).message); } }, TEXT_INDEX_IDLE_MS);
      timer.unref();
      return () => clearInterval(timer);
    }
    const worker = new Worker(INDEXER_WORKER, {
      eval: true,
      workerData: { sqlite: sqliteEntry, file, batch: TEXT_INDEX_BATCH, idleMs: TEXT_INDEX_IDLE_MS, sql: INDEX_SQL, cacheKiB: -INDEXER_CACHE_KIB },
      // It holds 100 bodies at a time: V8's default 16 MiB semi-spaces would only keep garbage resident.
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.unref();
    worker.on('message', (m: { error?: string }) => { if (m.error) onError(m.error); });
    worker.on('error', (e) => onError(e.message));
    return () => { void worker.terminate(); };
  }

  async listEvents(f: EventListFilter): Promise<Page<EventListItem>> {
    const limit = clampLimit(f.limit);
    const page = f.text !== undefined && f.text.trim() !== ''
      ? this.eventsByText(f, limit)
      : f.route || f.action || f.state
        ? this.eventsByDelivery(f, limit)
        : this.eventsByTime(f, limit);
    return { items: this.withDeliveries(page.rows), ...(page.next ? { next: page.next } : {}) };
  }

  private eventsByTime(f: EventListFilter, limit: number): { rows: EventRow[]; next?: string } {
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.since !== undefined) { where.push('received_at >= ?'); args.push(f.since); }
    if (f.until !== undefined) { where.push('received_at < ?'); args.push(f.until); }
    if (c) { where.push('(received_at, id) < (?, ?)'); args.push(c.t, c.id); }
    const rows = this.db.prepare(`SELECT id, received_at, hops, open_deliveries, substr(body, 1, 240) AS preview FROM events INDEXED BY events_newest
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at DESC, id DESC LIMIT ?`).all(...args, limit + 1) as EventRow[];
    return pageOf(rows, limit, (r) => ({ t: r.received_at, id: r.id }));
  }

  /**
   * Events with a matching delivery, newest first, each found through the narrowest index there is
   * (schema.ts step 6): dead letters through their own index; the inbox states (pending, running,
   * waiting) through the events in the inbox; otherwise the route's or the action's spans (step 7);
   * and succeeded alone, most deliveries, through the events by time.
   */
  private eventsByDelivery(f: EventListFilter, limit: number): { rows: EventRow[]; next?: string } {
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    if (f.state === 'dead') return this.eventsByDeliveryIndex(f, limit, c, 'deliveries_dead');
    if (f.state && f.state !== 'succeeded') return this.eventsWithDelivery(f, limit, c, 'events_inbox');
    if (f.route) return this.eventsBySpans(f, limit, c, 'r', f.route);
    if (f.action) return this.eventsBySpans(f, limit, c, 'a', f.action);
    return this.eventsWithDelivery(f, limit, c, 'events_newest');
  }

  /**
   * Events with a delivery of a route (kind 'r') or an action ('a'), newest first: the name's
   * delivery_spans (schema.ts step 7) say which stretches of time hold such events, and each
   * stretch's events with a delivery matching all the filters are read newest first. Each span
   * holds at least one event of its name (at its start: a span reaches SPAN_MAX_MS ahead, see
   * delivery-rows.ts spanRows) unless the other filters or a purge leave it out, so a page reads
   * about a page's worth of spans; at most SPAN_BUDGET spans per request, then a cursor.
   */
  private eventsBySpans(f: EventListFilter, limit: number, c: TimeCursor | undefined, kind: 'r' | 'a', name: string): { rows: EventRow[]; next?: string } {
    const args: unknown[] = [];
    const matching = this.db.prepare(`SELECT e.id, e.received_at FROM events e INDEXED BY events_newest
      WHERE e.received_at >= ? AND (e.received_at, e.id) < (?, ?)
        AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND ${deliveryWhere(f, 'd.', args)})
      ORDER BY e.received_at DESC, e.id DESC LIMIT ?`);
    // A span reaching above the cursor's time (at most SPAN_MAX_MS above it) covers the cursor itself.
    const covering = this.db.prepare('SELECT MIN(first_at) FROM delivery_spans WHERE kind = ? AND name = ? AND last_at > ? AND last_at <= ? AND first_at <= ?').pluck();
    const below = this.db.prepare('SELECT last_at, first_at FROM delivery_spans WHERE kind = ? AND name = ? AND last_at <= ? ORDER BY last_at DESC, first_at DESC LIMIT 1');
    const since = f.since ?? Number.MIN_SAFE_INTEGER;
    // What is left to look at: events before `from` in (received_at, id) order. Receive times are
    // whole milliseconds, so "before (t, '')" is "at t - 1 or earlier".
    const upTo = (t: number, id: string): TimeCursor => (id === '' ? { t: t - 1, id: TOP_ID } : { t, id });
    let from: TimeCursor = c ? upTo(c.t, c.id) : { t: Number.MAX_SAFE_INTEGER, id: TOP_ID };
    if (f.until !== undefined && from.t >= f.until) from = upTo(f.until, '');
    const found: Array<{ id: string; t: number }> = [];
    for (let spans = 0; ; spans++) {
      // Bounded work per request: the caller may ask for the next stretch.
      if (spans >= SPAN_BUDGET) return { rows: this.eventRows(found.map((r) => r.id)), next: encodeCursor(from.id === TOP_ID ? { t: from.t + 1, id: '' } : from) };
      // The newest stretch of this name's events at or before the cursor: [bottom, top].
      let top: number;
      let bottom: number;
      const start = covering.get(kind, name, from.t, from.t + SPAN_MAX_MS, from.t) as number | null | undefined;
      if (start !== null && start !== undefined) { top = from.t; bottom = start; } else {
        const span = below.get(kind, name, from.t) as { last_at: number; first_at: number } | undefined;
        if (!span) break;
        top = span.last_at;
        bottom = span.first_at;
      }
      if (top < since) break;
      bottom = Math.max(bottom, since);
      const at: TimeCursor = top < from.t ? { t: top, id: TOP_ID } : from;
      const want = limit + 1 - found.length;
      const rows = matching.all(bottom, at.t, at.id, ...args, want) as Array<{ id: string; received_at: number }>;
      for (const r of rows) found.push({ id: r.id, t: r.received_at });
      if (found.length > limit) {
        const page = pageOf(found, limit, (r) => ({ t: r.t, id: r.id }));
        return { rows: this.eventRows(page.rows.map((r) => r.id)), ...(page.next ? { next: page.next } : {}) };
      }
      // The stretch is done down to its start.
      from = upTo(bottom, '');
    }
    return { rows: this.eventRows(found.map((r) => r.id)) };
  }

  /** Walks a delivery index keyed by (created_at, event_id), newest first; the other filters are checked on each delivery. */
  private eventsByDeliveryIndex(f: EventListFilter, limit: number, c: TimeCursor | undefined, index: string): { rows: EventRow[]; next?: string } {
    const args: unknown[] = [];
    const where = [deliveryWhere(f, '', args)];
    if (f.since !== undefined) { where.push('created_at >= ?'); args.push(f.since); }
    if (f.until !== undefined) { where.push('created_at < ?'); args.push(f.until); }
    const stmt = this.db.prepare(`SELECT event_id, created_at FROM deliveries INDEXED BY ${index}
      WHERE ${where.join(' AND ')} AND (created_at, event_id) < (?, ?) ORDER BY created_at DESC, event_id DESC LIMIT ?`);
    const ids: Array<{ id: string; t: number }> = [];
    let from: TimeCursor = c ?? { t: Number.MAX_SAFE_INTEGER, id: TOP_ID };
    let exhausted = false;
    while (ids.length <= limit && !exhausted) {
      const batch = stmt.all(...args, from.t, from.id, (limit + 1) * 2) as Array<{ event_id: string; created_at: number }>;
      exhausted = batch.length < (limit + 1) * 2;
      for (const b of batch) {
        // Deliveries of one event are adjacent in this order: keep the event once.
        if (ids.at(-1)?.id !== b.event_id) ids.push({ id: b.event_id, t: b.created_at });
      }
      const tail = batch.at(-1);
      if (tail) from = { t: tail.created_at, id: tail.event_id };
    }
    const page = pageOf(ids, limit, (k) => ({ t: k.t, id: k.id }));
    return { rows: this.eventRows(page.rows.map((k) => k.id)), ...(page.next ? { next: page.next } : {}) };
  }

  /**
   * Walks events newest first (all of them, or those in the inbox) and keeps those with a matching
   * delivery. At most TEXT_SCAN_BUDGET events per request: a rare match among many is paged by a cursor.
   */
  private eventsWithDelivery(f: EventListFilter, limit: number, c: TimeCursor | undefined, index: 'events_newest' | 'events_inbox'): { rows: EventRow[]; next?: string } {
    const where = index === 'events_inbox' ? ['open_deliveries > 0'] : [];
    const args: unknown[] = [];
    if (f.since !== undefined) { where.push('received_at >= ?'); args.push(f.since); }
    if (f.until !== undefined) { where.push('received_at < ?'); args.push(f.until); }
    const keys = this.db.prepare(`SELECT id, received_at FROM events INDEXED BY ${index}
      WHERE ${[...where, '(received_at, id) < (?, ?)'].join(' AND ')} ORDER BY received_at DESC, id DESC LIMIT ?`);
    const dargs: unknown[] = [];
    const has = this.db.prepare(`SELECT 1 FROM deliveries WHERE event_id = ? AND ${deliveryWhere(f, '', dargs)} LIMIT 1`).pluck();
    const found: Array<{ id: string; t: number }> = [];
    let from: TimeCursor = c ?? { t: Number.MAX_SAFE_INTEGER, id: TOP_ID };
    const batchSize = 200;
    for (let scanned = 0; scanned < TEXT_SCAN_BUDGET;) {
      const batch = keys.all(...args, from.t, from.id, batchSize) as Array<{ id: string; received_at: number }>;
      for (const k of batch) {
        scanned++;
        from = { t: k.received_at, id: k.id };
        if (has.get(k.id, ...dargs) !== undefined) found.push({ id: k.id, t: k.received_at });
        if (found.length > limit) {
          const page = pageOf(found, limit, (r) => ({ t: r.t, id: r.id }));
          return { rows: this.eventRows(page.rows.map((r) => r.id)), ...(page.next ? { next: page.next } : {}) };
        }
      }
      if (batch.length < batchSize) return { rows: this.eventRows(found.map((r) => r.id)) };
    }
    // Bounded work per request: the caller may ask for the next stretch.
    return { rows: this.eventRows(found.map((r) => r.id)), next: encodeCursor(from) };
  }

  /** Newest matches of the text index first (insertion order), the other filters checked on each match. */
  private eventsByText(f: EventListFilter, limit: number): { rows: EventRow[]; next?: string } {
    const phrase = ftsPhrase(f.text!);
    if (!phrase) return { rows: [] };
    const c = decodeCursor<RowCursor>(f.cursor, 'r');
    // Events stored since the indexer's last run are indexed first (bounded: the indexer keeps up).
    this.indexTextNow(TEXT_INDEX_BATCH);
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.since !== undefined) { where.push('e.received_at >= ?'); args.push(f.since); }
    if (f.until !== undefined) { where.push('e.received_at < ?'); args.push(f.until); }
    if (f.route || f.action || f.state) where.push(`EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND ${deliveryWhere(f, 'd.', args)})`);
    const batchSize = 500;
    const hits = this.db.prepare('SELECT rowid AS r FROM events_text WHERE events_text MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?');
    const check = this.db.prepare(`SELECT e.rowid AS r, e.id, e.received_at, e.hops, e.open_deliveries, substr(e.body, 1, 240) AS preview
      FROM events e WHERE e.rowid = ?${where.length ? ` AND ${where.join(' AND ')}` : ''}`);
    const rows: Array<EventRow & { r: number }> = [];
    let from = c?.r ?? Number.MAX_SAFE_INTEGER;
    let scanned = 0;
    for (;;) {
      const batch = hits.all(phrase, from, batchSize) as Array<{ r: number }>;
      for (const h of batch) {
        scanned++;
        from = h.r;
        const row = check.get(h.r, ...args) as (EventRow & { r: number }) | undefined;
        if (row) rows.push(row);
        if (rows.length > limit) break;
      }
      if (rows.length > limit) {
        const kept = rows.slice(0, limit);
        return { rows: kept, next: encodeCursor({ r: kept.at(-1)!.r }) };
      }
      if (batch.length < batchSize) return { rows };
      // Bounded work per request: the caller may ask for the next stretch.
      if (scanned >= TEXT_SCAN_BUDGET) return { rows, next: encodeCursor({ r: from }) };
    }
  }

  private eventRows(ids: string[]): EventRow[] {
    if (ids.length === 0) return [];
    const rows = this.db.prepare(`SELECT id, received_at, hops, open_deliveries, substr(body, 1, 240) AS preview FROM events WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as EventRow[];
    return inIdOrder(ids, rows);
  }

  private withDeliveries(rows: EventRow[]): EventListItem[] {
    if (rows.length === 0) return [];
    const ds = this.db.prepare(`SELECT event_id, route, action, state FROM deliveries WHERE event_id IN (${rows.map(() => '?').join(',')}) ORDER BY route, stage, action`)
      .all(...rows.map((r) => r.id)) as Array<{ event_id: string; route: string; action: string; state: DeliveryState }>;
    return eventItems(rows, ds);
  }

  async event(id: string): Promise<StoredEvent | undefined> {
    const e = this.db.prepare('SELECT id, received_at, hops, open_deliveries, body FROM events WHERE id = ?').get(id) as
      { id: string; received_at: number; hops: number; open_deliveries: number; body: string } | undefined;
    if (!e) return undefined;
    const runs = this.db.prepare(`SELECT r.route, r.template, ${MESSAGE_OF_RUN} AS message, r.enriched FROM route_runs r JOIN events e ON e.id = r.event_id
      WHERE r.event_id = ? ORDER BY r.rowid`).all(id) as RouteRunRow[];
    return storedEvent(e, runs);
  }

  async deadLetterGroups(): Promise<DeadLetterGroup[]> {
    // One pass: with a single max() aggregate, SQLite takes the bare column last_error from the row holding the max.
    const rows = this.db.prepare(`SELECT route, action, COUNT(*) AS n, MAX(updated_at) AS last_at, last_error
      FROM deliveries INDEXED BY deliveries_dead WHERE state = 'dead' GROUP BY route, action ORDER BY last_at DESC`).all() as DeadLetterGroupRow[];
    return deadLetterGroupsOf(rows);
  }

  async deadLetters(f: { route?: string; action?: string; limit?: number; cursor?: string }): Promise<Page<DeadLetter>> {
    const limit = clampLimit(f.limit);
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const where = ["state = 'dead'"];
    const args: unknown[] = [];
    if (f.route) { where.push('route = ?'); args.push(f.route); }
    if (f.action) { where.push('action = ?'); args.push(f.action); }
    if (c) { where.push('(created_at, id) < (?, ?)'); args.push(c.t, c.id); }
    const rows = this.db.prepare(`SELECT id, event_id, route, action, attempts, created_at, updated_at, last_error FROM deliveries INDEXED BY deliveries_dead
      WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`).all(...args, limit + 1) as DeadLetterRow[];
    return deadLetterPage(rows, limit);
  }

  /**
   * Deliveries of each route by state: the counters of schema.ts step 6 (not a count of the rows), with
   * the pending ones under a live lease (few: what runs now) shown as running.
   */
  async routeCounters(): Promise<RouteCounters[]> {
    const rows = this.db.prepare(`SELECT route, state, n FROM delivery_counts WHERE n > 0
      UNION ALL SELECT route, 'running', COUNT(*) FROM deliveries INDEXED BY deliveries_pending WHERE state = 'pending' AND lease_until > ? GROUP BY route
      UNION ALL SELECT route, 'pending', -COUNT(*) FROM deliveries INDEXED BY deliveries_pending WHERE state = 'pending' AND lease_until > ? GROUP BY route`)
      .all(Date.now(), Date.now()) as Array<{ route: string; state: DeliveryState; n: number }>;
    return routeCountersOf(rows);
  }

  /** Scans newest first; absent table (no scan service ever ran) reads as none. */
  async scans(f: { state?: string; limit?: number; cursor?: string }): Promise<Page<ScanListItem>> {
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'scans'").get();
    if (!exists) return { items: [] };
    const limit = clampLimit(f.limit);
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.state) { where.push('state = ?'); args.push(f.state); }
    if (c) { where.push('(created_at, id) < (?, ?)'); args.push(c.t, c.id); }
    const rows = this.db.prepare(`SELECT id, state, scanner, request, created_at, started_at, finished_at, error, outcome FROM scans
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`).all(...args, limit + 1) as ScanListRow[];
    return scanPage(rows, limit);
  }

  /** Stored events that a scan's `scan.completed` event produced (found by the scan id in the text index). */
  async eventsMentioning(text: string, limit = 5): Promise<string[]> {
    const phrase = ftsPhrase(text);
    if (!phrase) return [];
    this.indexTextNow(TEXT_INDEX_BATCH);
    return (this.db.prepare('SELECT e.id FROM events_text t JOIN events e ON e.rowid = t.rowid WHERE events_text MATCH ? ORDER BY t.rowid DESC LIMIT ?').all(phrase, limit) as Array<{ id: string }>).map((r) => r.id);
  }
}

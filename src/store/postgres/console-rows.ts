// The web console's reads on PostgreSQL: the same lists, filters, cursors and
// answers as the SQLite ones (console-queries.ts), over the pool.
//
// Text search is a bounded scan, not a full-text index: the newest
// TEXT_SCAN_BUDGET events (within the time filters) are matched against the
// user's words with a case-insensitive regular expression on word
// boundaries, and a page that ran out of budget carries a cursor to the next
// stretch (the contract the SQLite search has too). Why not tsvector + GIN:
// that index would be computed inside every ingest transaction on every
// replica (the SQLite backend moved its text index off the write path for
// the same reason), PostgreSQL's parser splits JSON text differently from the
// SQLite index (so the two backends would find different events for the same
// words), and the console searches recent events. Why not ILIKE: substrings
// would make `web-14` find `web-140`; the regular expression matches whole
// words as the SQLite index does, and a trailing `*` a prefix.

import type pg from 'pg';
import {
  clampLimit, deadLetterGroupsOf, decodeCursor, deadLetterPage, encodeCursor, eventItems, inIdOrder, pageOf, routeCountersOf, scanPage, searchTokens, storedEvent, TEXT_SCAN_BUDGET,
  type ConsoleReads, type DeadLetter, type DeadLetterGroup, type DeadLetterGroupRow, type DeadLetterRow, type EventListFilter, type EventListItem, type EventRow, type Page,
  type RouteCounters, type RouteRunRow, type ScanListItem, type ScanListRow, type StoredEvent, type TimeCursor,
} from '../console-queries.js';
import type { DeliveryState } from '../types.js';

type Query = <R extends pg.QueryResultRow>(sql: string, args?: unknown[]) => Promise<pg.QueryResult<R>>;

/** The state as lists show it: a pending delivery under a live lease is running ($1 is now). */
const SHOWN_STATE = "CASE WHEN state = 'pending' AND lease_until > $1 THEN 'running' ELSE state END";

/** The user's words as a PostgreSQL regular expression (whole words, any separators between them); undefined without words. */
export function wordsPattern(text: string): string | undefined {
  const { tokens, prefix } = searchTokens(text);
  if (tokens.length === 0) return undefined;
  // Tokens are letters and digits only: nothing in them is regular-expression syntax.
  return `(^|[^[:alnum:]])${tokens.join('[^[:alnum:]]+')}${prefix ? '' : '([^[:alnum:]]|$)'}`;
}

/** The WHERE part of a delivery state filter (running and pending differ by their lease only). */
function stateFilter(col: string, state: DeliveryState, args: unknown[]): string {
  if (state === 'running' || state === 'pending') {
    args.push(Date.now());
    return `${col}state = 'pending' AND ${col}lease_until ${state === 'running' ? '>' : '<='} $${args.length}`;
  }
  args.push(state);
  return `${col}state = $${args.length}`;
}

export class PgConsoleQueries implements ConsoleReads {
  constructor(private readonly query: Query) {}

  /** Nothing to index: search scans the newest events. */
  startTextIndexer(): () => void {
    return () => {};
  }

  async listEvents(f: EventListFilter): Promise<Page<EventListItem>> {
    const limit = clampLimit(f.limit);
    const page = f.text !== undefined && f.text.trim() !== ''
      ? await this.eventsByText(f, limit)
      : f.route || f.action || f.state
        ? await this.eventsByDelivery(f, limit)
        : await this.eventsByTime(f, limit);
    return { items: await this.withDeliveries(page.rows), ...(page.next ? { next: page.next } : {}) };
  }

  private async eventsByTime(f: EventListFilter, limit: number): Promise<{ rows: EventRow[]; next?: string }> {
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const args: unknown[] = [];
    const where = timeWhere(f, 'received_at', args);
    if (c) { args.push(c.t, c.id); where.push(`(received_at, id) < ($${args.length - 1}, $${args.length})`); }
    args.push(limit + 1);
    const { rows } = await this.query<EventRow>(`SELECT id, received_at, hops, open_deliveries, left(body, 240) AS preview FROM events
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at DESC, id DESC LIMIT $${args.length}`, args);
    return pageOf(rows, limit, (r) => ({ t: r.received_at, id: r.id }));
  }

  /**
   * Events with a matching delivery, newest first. An event's deliveries share its
   * created_at, so (created_at, event_id) orders events; DISTINCT over the index order stops at the page.
   */
  private async eventsByDelivery(f: EventListFilter, limit: number): Promise<{ rows: EventRow[]; next?: string }> {
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const args: unknown[] = [];
    const where = timeWhere(f, 'created_at', args);
    if (f.route) { args.push(f.route); where.push(`route = $${args.length}`); }
    if (f.action) { args.push(f.action); where.push(`action = $${args.length}`); }
    if (f.state) where.push(stateFilter('', f.state, args));
    if (c) { args.push(c.t, c.id); where.push(`(created_at, event_id) < ($${args.length - 1}, $${args.length})`); }
    args.push(limit + 1);
    const { rows: ids } = await this.query<{ event_id: string; created_at: number }>(`SELECT DISTINCT created_at, event_id FROM deliveries
      WHERE ${where.join(' AND ')} ORDER BY created_at DESC, event_id DESC LIMIT $${args.length}`, args);
    const page = pageOf(ids, limit, (k) => ({ t: k.created_at, id: k.event_id }));
    return { rows: await this.eventRows(page.rows.map((k) => k.event_id)), ...(page.next ? { next: page.next } : {}) };
  }

  /** The newest TEXT_SCAN_BUDGET events from the cursor on, matched word by word; the other filters are checked on each match. */
  private async eventsByText(f: EventListFilter, limit: number): Promise<{ rows: EventRow[]; next?: string }> {
    const pattern = wordsPattern(f.text!);
    if (!pattern) return { rows: [] };
    const c = decodeCursor<{ s: number; id: string }>(f.cursor, 's');
    const args: unknown[] = [pattern];
    const scanWhere = timeWhere(f, 'received_at', args);
    if (c) { args.push(c.s, c.id); scanWhere.push(`(received_at, id) < ($${args.length - 1}, $${args.length})`); }
    const dwhere: string[] = [];
    if (f.route) { args.push(f.route); dwhere.push(`d.route = $${args.length}`); }
    if (f.action) { args.push(f.action); dwhere.push(`d.action = $${args.length}`); }
    if (f.state) dwhere.push(stateFilter('d.', f.state, args));
    args.push(TEXT_SCAN_BUDGET);
    const budget = `$${args.length}`;
    args.push(limit + 1);
    // One statement: the matches (at most limit + 1), then one row for the oldest event scanned and how many were.
    const { rows } = await this.query<EventRow & { edge: boolean; scanned: number }>(`WITH scanned AS MATERIALIZED (
        SELECT id, received_at, hops, open_deliveries, body FROM events ${scanWhere.length ? `WHERE ${scanWhere.join(' AND ')}` : ''}
        ORDER BY received_at DESC, id DESC LIMIT ${budget}
      )
      (SELECT id, received_at, hops, open_deliveries, left(body, 240) AS preview, false AS edge, 0 AS scanned FROM scanned e
        WHERE body ~* $1${dwhere.length ? ` AND EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND ${dwhere.join(' AND ')})` : ''}
        ORDER BY received_at DESC, id DESC LIMIT $${args.length})
      UNION ALL
      (SELECT id, received_at, 0, 0, '', true, (SELECT COUNT(*)::int FROM scanned) FROM scanned ORDER BY received_at, id LIMIT 1)`, args);
    const edge = rows.find((r) => r.edge);
    const hits = rows.filter((r) => !r.edge);
    if (hits.length > limit) {
      const kept = hits.slice(0, limit);
      const last = kept.at(-1)!;
      return { rows: kept, next: encodeCursor({ s: last.received_at, id: last.id }) };
    }
    // The budget ran out before the end: the caller may ask for the next stretch.
    if (edge && edge.scanned >= TEXT_SCAN_BUDGET) return { rows: hits, next: encodeCursor({ s: edge.received_at, id: edge.id }) };
    return { rows: hits };
  }

  private async eventRows(ids: string[]): Promise<EventRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.query<EventRow>('SELECT id, received_at, hops, open_deliveries, left(body, 240) AS preview FROM events WHERE id = ANY($1)', [ids]);
    return inIdOrder(ids, rows);
  }

  private async withDeliveries(rows: EventRow[]): Promise<EventListItem[]> {
    if (rows.length === 0) return [];
    const { rows: ds } = await this.query<{ event_id: string; route: string; action: string; state: DeliveryState }>(
      `SELECT event_id, route, action, ${SHOWN_STATE} AS state FROM deliveries WHERE event_id = ANY($2) ORDER BY route, stage, action`,
      [Date.now(), rows.map((r) => r.id)]);
    return eventItems(rows, ds);
  }

  async event(id: string): Promise<StoredEvent | undefined> {
    const { rows } = await this.query<{ id: string; received_at: number; hops: number; open_deliveries: number; body: string }>(
      'SELECT id, received_at, hops, open_deliveries, body FROM events WHERE id = $1', [id]);
    const e = rows[0];
    if (!e) return undefined;
    // In the order the routes were stored (their deliveries' sequence), as SQLite lists them.
    const runs = await this.query<RouteRunRow>(`SELECT route, template, message, enriched FROM route_runs r WHERE event_id = $1
      ORDER BY (SELECT MIN(seq) FROM deliveries d WHERE d.event_id = r.event_id AND d.route = r.route), route`, [id]);
    return storedEvent(e, runs.rows);
  }

  async deadLetterGroups(): Promise<DeadLetterGroup[]> {
    const { rows } = await this.query<DeadLetterGroupRow>(`SELECT route, action, COUNT(*)::int AS n, MAX(updated_at) AS last_at,
        (array_agg(last_error ORDER BY updated_at DESC))[1] AS last_error
      FROM deliveries WHERE state = 'dead' GROUP BY route, action ORDER BY last_at DESC`);
    return deadLetterGroupsOf(rows);
  }

  async deadLetters(f: { route?: string; action?: string; limit?: number; cursor?: string }): Promise<Page<DeadLetter>> {
    const limit = clampLimit(f.limit);
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const where = ["state = 'dead'"];
    const args: unknown[] = [];
    if (f.route) { args.push(f.route); where.push(`route = $${args.length}`); }
    if (f.action) { args.push(f.action); where.push(`action = $${args.length}`); }
    if (c) { args.push(c.t, c.id); where.push(`(created_at, id) < ($${args.length - 1}, $${args.length})`); }
    args.push(limit + 1);
    const { rows } = await this.query<DeadLetterRow>(`SELECT id, event_id, route, action, attempts, created_at, updated_at, last_error FROM deliveries
      WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`, args);
    return deadLetterPage(rows, limit);
  }

  async routeCounters(): Promise<RouteCounters[]> {
    const { rows } = await this.query<{ route: string; state: DeliveryState; n: number }>(
      `SELECT route, ${SHOWN_STATE} AS state, COUNT(*)::int AS n FROM deliveries GROUP BY 1, 2`, [Date.now()]);
    return routeCountersOf(rows);
  }

  async scans(f: { state?: string; limit?: number; cursor?: string }): Promise<Page<ScanListItem>> {
    const limit = clampLimit(f.limit);
    const c = decodeCursor<TimeCursor>(f.cursor, 't');
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.state) { args.push(f.state); where.push(`state = $${args.length}`); }
    if (c) { args.push(c.t, c.id); where.push(`(created_at, id) < ($${args.length - 1}, $${args.length})`); }
    args.push(limit + 1);
    const { rows } = await this.query<ScanListRow>(`SELECT id, state, scanner, request, created_at, started_at, finished_at, error, outcome FROM scans
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`, args);
    return scanPage(rows, limit);
  }

  /** Within the newest TEXT_SCAN_BUDGET events, as the text search. */
  async eventsMentioning(text: string, limit = 5): Promise<string[]> {
    const pattern = wordsPattern(text);
    if (!pattern) return [];
    const { rows } = await this.query<{ id: string }>(`SELECT id FROM (SELECT id, received_at, body FROM events ORDER BY received_at DESC, id DESC LIMIT $2) e
      WHERE body ~* $1 ORDER BY received_at DESC, id DESC LIMIT $3`, [pattern, TEXT_SCAN_BUDGET, limit]);
    return rows.map((r) => r.id);
  }
}

function timeWhere(f: EventListFilter, col: string, args: unknown[]): string[] {
  const where: string[] = [];
  if (f.since !== undefined) { args.push(f.since); where.push(`${col} >= $${args.length}`); }
  if (f.until !== undefined) { args.push(f.until); where.push(`${col} < $${args.length}`); }
  return where;
}

// What the event loop and the SQLite writer thread (writer-thread.ts) say to
// each other. Calls go one way as [id, op, args] in batches; answers come back
// in batches as [id, ok, value | error]. Values cross by structured clone,
// except where that would be wrong or wasteful:
//  - events cross as their JSON text: a parsed event may hold JsonNumbers
//    (json/lossless.ts), which a structured clone turns into plain objects;
//  - the hot calls (commits, claims, finishes) and their answers cross as
//    flat arrays of primitives (packPlans and the others below), not as
//    objects: a clone writes each object's property names and the reader
//    builds each object again, per event and per delivery;
//  - a claim answers its rows, each event's text once, and the event loop
//    makes the deliveries of them (parsing each event once, there only).
// Errors keep their message and the kind the callers act on (503 for an
// unavailable store, 400 for a bad console cursor).

import type { ClaimRow } from './delivery-rows.js';
import type { RenderedMessage } from '../../actions/types.js';
import type { ActionKind, EventPlan, PlannedRoute } from '../../delivery/plan.js';
import type { AttemptOutcome, DeliveryState, FinishItem, FinishResult, HeldAtInsert, Lease, PlanCommit } from '../types.js';
import { nativeMarker } from '../stored-message.js';
import { StoreUnavailableError } from '../types.js';
import { CursorError } from '../console-queries.js';

export type Call = [id: number, op: string, args: unknown[]];
export type Answer = [id: number, ok: true, value: unknown] | [id: number, ok: false, error: WireError];
/** Not an answer: the thread reports something on its own (id 0). */
export type Notice = [0, 'indexer-error', handle: number, message: string];
export type FromWriter = Answer | Notice;

export interface WireError { kind: 'unavailable' | 'cursor' | 'error'; name: string; message: string; code?: string }

export function errorToWire(e: unknown): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const kind = err instanceof StoreUnavailableError ? 'unavailable' : err instanceof CursorError ? 'cursor' : 'error';
  return { kind, name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

export function errorFromWire(w: WireError): Error {
  const e = w.kind === 'unavailable' ? new StoreUnavailableError(w.message) : w.kind === 'cursor' ? new CursorError(w.message) : new Error(w.message);
  if (w.kind === 'error') e.name = w.name;
  if (w.code !== undefined) (e as Error & { code?: string }).code = w.code; // e.g. SQLITE_BUSY, SQLITE_FULL
  return e;
}

/**
 * A batch of plans as it crosses (insertPlans): one flat array of primitives,
 * plan after plan, route after route, delivery after delivery (PLAN_FIELDS,
 * ROUTE_FIELDS, DELIVERY_FIELDS each), instead of ~20 objects per plan. A
 * structured clone writes every object's property names with it and the
 * reader builds every object again (issue 12: the plans' clones were ~5 % of
 * the event loop's CPU in held ingest). The event crosses once, as its JSON
 * text; the message of a run a native template rendered from the event is
 * not sent at all (the store keeps its marker, stored-message.ts); any other
 * message crosses as its object, inside the same array, so routes sharing
 * one message object still share it on the other side (delivery-rows.ts
 * stores a shared message once). Dedup keys and aggregation items are rare
 * and cross as objects. `held` becomes one flag per delivery and the lease once.
 */
export interface PackedPlans { flat: unknown[]; lease?: Lease }

/** Per plan: eventId, receivedAt, hops, eventText, extras (0, or its dedupKeys and aggregate), route count. */
const PLAN_FIELDS = 6;
/** Per route: name, template (null), nativeTemplate (null), message (0: not sent), delivery count. */
const ROUTE_FIELDS = 5;
/** Per delivery: id, action, stage, kind, held (1 or 0). */
const DELIVERY_FIELDS = 5;

/** `eventText` is the plan's event as the store writes it (stringifyJson, the caller's: this module stays free of the JSON codec). */
export function packPlans(plans: readonly EventPlan[], eventText: (p: EventPlan) => string, held?: HeldAtInsert): PackedPlans {
  const flat: unknown[] = [];
  for (const p of plans) {
    const extras = p.dedupKeys || p.aggregate ? { ...(p.dedupKeys ? { dedupKeys: p.dedupKeys } : {}), ...(p.aggregate ? { aggregate: p.aggregate } : {}) } : 0;
    flat.push(p.eventId, p.receivedAt, p.hops, eventText(p), extras, p.routes.length);
    for (const r of p.routes) {
      flat.push(r.route, r.template ?? null, r.nativeTemplate ?? null, nativeMarker(r) === undefined ? r.message : 0, r.deliveries.length);
      for (const d of r.deliveries) flat.push(d.id, d.action, d.stage, d.kind, held?.ids.has(d.id) ? 1 : 0);
    }
  }
  return held ? { flat, lease: held.lease } : { flat };
}

/** A message the store does not read (a native template's run keeps its marker instead). */
const NOT_SENT: RenderedMessage = { title: '', body: '' };

export function unpackPlans({ flat, lease }: PackedPlans): { plans: EventPlan[]; held?: HeldAtInsert } {
  const plans: EventPlan[] = [];
  const ids = new Set<string>();
  for (let at = 0; at < flat.length;) {
    const extras = flat[at + 4] as 0 | Pick<EventPlan, 'dedupKeys' | 'aggregate'>;
    const plan: EventPlan = {
      eventId: flat[at] as string, receivedAt: flat[at + 1] as number, hops: flat[at + 2] as number, event: null, eventText: flat[at + 3] as string, routes: [],
      ...(extras === 0 ? {} : extras),
    };
    const nRoutes = flat[at + 5] as number;
    at += PLAN_FIELDS;
    for (let r = 0; r < nRoutes; r++) {
      const template = flat[at + 1] as string | null;
      const nativeTemplate = flat[at + 2] as string | null;
      const message = flat[at + 3] as RenderedMessage | 0;
      const nDeliveries = flat[at + 4] as number;
      const route: PlannedRoute = {
        route: flat[at] as string, ...(template === null ? {} : { template }), message: message === 0 ? NOT_SENT : message,
        ...(nativeTemplate === null ? {} : { nativeTemplate }), deliveries: [],
      };
      at += ROUTE_FIELDS;
      for (let d = 0; d < nDeliveries; d++, at += DELIVERY_FIELDS) {
        const id = flat[at] as string;
        route.deliveries.push({ id, action: flat[at + 1] as string, stage: flat[at + 2] as number, kind: flat[at + 3] as ActionKind });
        if (flat[at + 4] === 1) ids.add(id);
      }
      plan.routes.push(route);
    }
    plans.push(plan);
  }
  return lease ? { plans, held: { lease, ids } } : { plans };
}

/**
 * What a commit answers, compact: the commit of a plan is almost always "no
 * duplicate route, every delivery stored", which the event loop knows from
 * the plan itself (deliveriesOf); only the others cross. null: every commit
 * was that; else one entry per plan, 0 for that or the commit itself.
 */
export type PackedCommits = null | Array<0 | PlanCommit>;

/** The ids of the plan's deliveries of routes not refused as duplicates: what PlanCommit.deliveries holds. */
export function deliveriesOf(plan: EventPlan, duplicates: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const r of plan.routes) {
    if (duplicates.length && duplicates.includes(r.route)) continue;
    for (const d of r.deliveries) out.push(d.id);
  }
  return out;
}

export function packCommits(plans: readonly EventPlan[], commits: readonly PlanCommit[]): PackedCommits {
  let out: PackedCommits = null;
  for (let i = 0; i < commits.length; i++) {
    const c = commits[i]!;
    if (c.duplicates.length === 0 && sameIds(c.deliveries, plans[i]!)) continue;
    (out ??= new Array<0 | PlanCommit>(commits.length).fill(0))[i] = c;
  }
  return out;
}

function sameIds(ids: readonly string[], plan: EventPlan): boolean {
  let n = 0;
  for (const r of plan.routes) for (const d of r.deliveries) if (ids[n++] !== d.id) return false;
  return n === ids.length;
}

export function unpackCommits(plans: readonly EventPlan[], packed: PackedCommits): PlanCommit[] {
  return plans.map((p, i) => {
    const c = packed?.[i];
    return c ? c : { duplicates: [], deliveries: deliveriesOf(p) };
  });
}

/**
 * Claimed rows (delivery-rows.ts ClaimRow) as one flat array, CLAIM_FIELDS
 * per row (id, event_id, route, action, stage, kind, attempts, created_at,
 * next_at, template, message, event, enriched, hops, body), with the long texts (the event, the body
 * of an enriched run, the stored message) sent once per batch in `texts`
 * and indexed from the row (body -1: null). The event loop turns them into
 * deliveries itself (claimedOf), parsing each event once.
 */
export interface PackedClaimRows { texts: string[]; flat: unknown[] }

const CLAIM_FIELDS = 15;

export function packClaimRows(rows: readonly ClaimRow[]): PackedClaimRows {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const at = (text: string) => {
    let t = index.get(text);
    if (t === undefined) { index.set(text, t = texts.length); texts.push(text); }
    return t;
  };
  const flat: unknown[] = [];
  for (const r of rows) {
    flat.push(r.id, r.event_id, r.route, r.action, r.stage, r.kind, r.attempts, r.created_at, r.next_at, r.template, at(r.message), at(r.event), r.enriched, r.hops,
      r.body === null ? -1 : at(r.body));
  }
  return { texts, flat };
}

export function unpackClaimRows({ texts, flat }: PackedClaimRows): ClaimRow[] {
  const rows: ClaimRow[] = [];
  for (let i = 0; i < flat.length; i += CLAIM_FIELDS) {
    const body = flat[i + 14] as number;
    rows.push({
      id: flat[i] as string, event_id: flat[i + 1] as string, route: flat[i + 2] as string, action: flat[i + 3] as string, stage: flat[i + 4] as number,
      kind: flat[i + 5] as ActionKind, attempts: flat[i + 6] as number, created_at: flat[i + 7] as number, next_at: flat[i + 8] as number,
      template: flat[i + 9] as string | null, message: texts[flat[i + 10] as number]!, event: texts[flat[i + 11] as number]!, enriched: flat[i + 12] as number,
      hops: flat[i + 13] as number, body: body < 0 ? null : texts[body]!,
    });
  }
  return rows;
}

/**
 * A batch of finishes as one flat array, FINISH_FIELDS per item: id, owner
 * (0: the previous item's), ok (1/0), detail (null), startedAt, finishedAt,
 * retryAt (null), log (its array of lines), enriched (0, or the outcome's
 * `enriched` with its event crossing as `enrichedText`: it may hold
 * JsonNumbers, which a structured clone would flatten).
 */
export type PackedFinishes = unknown[];
const FINISH_FIELDS = 9;

/** `eventText` serialises an enriched event as the store writes it (stringifyJson, the caller's). */
export function packFinishes(items: readonly FinishItem[], eventText: (event: unknown) => string): PackedFinishes {
  const flat: unknown[] = [];
  let owner: string | undefined;
  for (const { id, owner: o, outcome } of items) {
    const enriched = outcome.enriched;
    flat.push(id, o === owner ? 0 : (owner = o), outcome.ok ? 1 : 0, outcome.detail ?? null, outcome.startedAt, outcome.finishedAt, outcome.retryAt ?? null, outcome.log,
      enriched ? { ...(enriched.message ? { message: enriched.message } : {}), enrichedText: eventText(enriched.event ?? null) } : 0);
  }
  return flat;
}

/** `parse` reads an enriched event's text back (parseJson, the caller's). */
export function unpackFinishes(flat: PackedFinishes, parse: (text: string) => unknown): FinishItem[] {
  const items: FinishItem[] = [];
  let owner = '';
  for (let i = 0; i < flat.length; i += FINISH_FIELDS) {
    if (flat[i + 1] !== 0) owner = flat[i + 1] as string;
    const detail = flat[i + 3] as string | null;
    const retryAt = flat[i + 6] as number | null;
    const enriched = flat[i + 8] as 0 | { message?: RenderedMessage; enrichedText: string };
    const outcome: AttemptOutcome = {
      ok: flat[i + 2] === 1, ...(detail === null ? {} : { detail }), log: flat[i + 7] as string[], startedAt: flat[i + 4] as number, finishedAt: flat[i + 5] as number,
      ...(retryAt === null ? {} : { retryAt }),
      ...(enriched === 0 ? {} : { enriched: { event: parse(enriched.enrichedText), ...(enriched.message ? { message: enriched.message } : {}) } }),
    };
    items.push({ id: flat[i] as string, owner, outcome });
  }
  return items;
}

/** Finish results, FINISH_RESULT_FIELDS per item: state, released (0: none, else its actions), lost (1/0). */
export type PackedFinishResults = unknown[];
const FINISH_RESULT_FIELDS = 3;

export function packFinishResults(results: readonly FinishResult[]): PackedFinishResults {
  const flat: unknown[] = [];
  for (const r of results) flat.push(r.state, r.released.length ? r.released : 0, r.lost ? 1 : 0);
  return flat;
}

export function unpackFinishResults(flat: PackedFinishResults): FinishResult[] {
  const out: FinishResult[] = [];
  for (let i = 0; i < flat.length; i += FINISH_RESULT_FIELDS) {
    const released = flat[i + 1] as 0 | string[];
    out.push({ state: flat[i] as DeliveryState, released: released === 0 ? [] : released, ...(flat[i + 2] === 1 ? { lost: true } : {}) });
  }
  return out;
}

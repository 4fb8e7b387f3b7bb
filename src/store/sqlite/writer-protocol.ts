// What the event loop and the SQLite writer thread (writer-thread.ts) say to
// each other. Calls go one way as [id, op, args] in batches; answers come back
// in batches as [id, ok, value | error]. Values cross by structured clone,
// except where that would be wrong or wasteful:
//  - events cross as their JSON text: a parsed event may hold JsonNumbers
//    (json/lossless.ts), which a structured clone turns into plain objects;
//  - a claim answers its rows, each event's text once, and the event loop
//    makes the deliveries of them (parsing each event once, there only).
// Errors keep their message and the kind the callers act on (503 for an
// unavailable store, 400 for a bad console cursor).

import type { ClaimRow } from './delivery-rows.js';
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
 * Claimed rows (delivery-rows.ts ClaimRow) with their event texts sent once
 * per batch: `event` and `body` index `texts` (body -1: null). The event loop
 * turns them into deliveries itself (claimedOf), parsing each event once.
 */
export interface PackedClaimRows { texts: string[]; rows: Array<Omit<ClaimRow, 'event' | 'body'> & { event: number; body: number }> }

export function packClaimRows(rows: ClaimRow[]): PackedClaimRows {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const at = (text: string) => {
    let t = index.get(text);
    if (t === undefined) { index.set(text, t = texts.length); texts.push(text); }
    return t;
  };
  return { texts, rows: rows.map((r) => ({ ...r, event: at(r.event), body: r.body === null ? -1 : at(r.body) })) };
}

export function unpackClaimRows(p: PackedClaimRows): ClaimRow[] {
  return p.rows.map((r) => ({ ...r, event: p.texts[r.event]!, body: r.body < 0 ? null : p.texts[r.body]! }));
}

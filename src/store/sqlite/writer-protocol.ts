// What the event loop and the SQLite writer thread (writer-thread.ts) say to
// each other. Calls go one way as [id, op, args] in batches; answers come back
// in batches as [id, ok, value | error]. Values cross by structured clone,
// except where that would be wrong or wasteful:
//  - events cross as their JSON text: a parsed event may hold JsonNumbers
//    (json/lossless.ts), which a structured clone turns into plain objects;
//  - the claimed deliveries of one event share one copy of its text.
// Errors keep their message and the kind the callers act on (503 for an
// unavailable store, 400 for a bad console cursor).

import type { ClaimedDelivery } from '../types.js';
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

/** Claimed deliveries without their parsed event: `t` indexes the batch's distinct event texts. */
export interface PackedClaims { texts: string[]; items: Array<Omit<ClaimedDelivery, 'event' | 'eventText'> & { t: number }> }

export function packClaims(claimed: ClaimedDelivery[]): PackedClaims {
  const texts: string[] = [];
  const index = new Map<string, number>();
  const items = claimed.map(({ event: _event, eventText, ...rest }) => {
    const text = eventText ?? 'null';
    let t = index.get(text);
    if (t === undefined) { index.set(text, t = texts.length); texts.push(text); }
    return { ...rest, t };
  });
  return { texts, items };
}

export function unpackClaims(p: PackedClaims, parse: (text: string) => unknown): ClaimedDelivery[] {
  // One parsed event per distinct text, shared by its deliveries as the in-loop claim shares it (actions only read it).
  const events = p.texts.map(parse);
  return p.items.map(({ t, ...rest }) => ({ ...rest, event: events[t], eventText: p.texts[t] }));
}

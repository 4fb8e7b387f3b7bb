// Postee's unique-message-props: a key per route built from the listed event
// paths. Computed here, in routing; the store only takes or refuses it.

import { createHash } from 'node:crypto';
import { stringifyJson } from '../json/lossless.js';

/** Without unique-message-timeout a key lives this long (Postee kept them until the store was emptied). */
export const DEFAULT_DEDUP_TTL_MS = 24 * 3_600_000;

/** `read` looks a path up (the event by default; a split route's item first, then its event). */
export function dedupKey(event: unknown, props: string[], read: (path: string) => unknown = (p) => lookupPath(event, p)): string {
  const values = props.map((p) => read(p) ?? null);
  return createHash('sha256').update(stringifyJson(values)!).digest('hex');
}

/** Dot paths as Postee writes them (`image`, `vulnerability_summary.critical`). */
export function lookupPath(event: unknown, path: string): unknown {
  let cur = event;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

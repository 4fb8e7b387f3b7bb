// `split-by`: one message per element of an array of the event (an
// Alertmanager webhook's `alerts`, a report's findings). The event is stored
// once; routing plans one run of the route per item. Each item is seen (by
// the route's filter, its template and unique-message-props) as the event
// with that array narrowed to the one item, so the group's other fields stay
// where they are and templates written for the whole event render one item.
//
// A run is stored under a run name, `<route>[<index>]`: the store keeps one
// rendered message, one dedup key and its own stages per run, and listing or
// retrying by route name includes its runs.

import { lookupPath } from './dedup-key.js';

export interface SplitItem {
  /** Position in the event's array. */
  index: number;
  /** The element itself. */
  item: unknown;
  /** The event with the array replaced by `[item]`. */
  event: unknown;
}

/**
 * Most items one event is split into per route. Each item is one filter
 * evaluation and one message: a body with more (a report of thousands of
 * findings, a crafted array) is handled whole, as without `split-by`, so it
 * neither blocks the server nor floods the receivers.
 */
export const MAX_SPLIT_ITEMS = 1_000;

/** Path segments of a `split-by` value (`alerts`, `Results.0.Vulnerabilities`). */
export function splitPath(path: string): string[] {
  return path.split('.');
}

/** A copy of `event` with the value at `path` replaced (only the objects along the path are copied). */
function replaceAt(event: unknown, segs: string[], value: unknown): unknown {
  if (segs.length === 0) return value;
  const [head, ...rest] = segs as [string, ...string[]];
  if (Array.isArray(event)) {
    const copy = event.slice();
    copy[Number(head)] = replaceAt(event[Number(head)], rest, value);
    return copy;
  }
  const obj = event as Record<string, unknown>;
  return { ...obj, [head]: replaceAt(obj[head], rest, value) };
}

/** How many items `event` has at `path`; undefined when the value there is not an array. */
export function itemCount(event: unknown, path: string): number | undefined {
  const arr = lookupPath(event, path);
  return Array.isArray(arr) ? arr.length : undefined;
}

/**
 * The items of `event` at `path`, or undefined when the value there is not an
 * array (the route then handles the whole event as one message, as without
 * `split-by`: an event of another shape is not lost).
 */
export function splitItems(event: unknown, path: string): SplitItem[] | undefined {
  const arr = lookupPath(event, path);
  if (!Array.isArray(arr)) return undefined;
  const segs = splitPath(path);
  return arr.map((item, index) => itemAt(event, segs, item, index));
}

/** Item `index` of `event` alone, undefined when there is no such item (an enrichment removed it). */
export function splitItem(event: unknown, path: string, index: number): { item: SplitItem; count: number } | undefined {
  const arr = lookupPath(event, path);
  if (!Array.isArray(arr) || index >= arr.length) return undefined;
  return { item: itemAt(event, splitPath(path), arr[index], index), count: arr.length };
}

function itemAt(event: unknown, segs: string[], item: unknown, index: number): SplitItem {
  return { index, item, event: replaceAt(event, segs, [item]) };
}

/** The name a route's run for one item is stored under. */
export function runName(route: string, index: number): string {
  return `${route}[${index}]`;
}

const RUN = /^(.*)\[(\d+)\]$/s;

/** The route and item of a stored run name; a plain route name has no item. */
export function parseRun(run: string, isRoute: (name: string) => boolean): { route: string; index?: number } {
  if (isRoute(run)) return { route: run };
  const m = RUN.exec(run);
  return m ? { route: m[1]!, index: Number(m[2]) } : { route: run };
}

/**
 * How unique-message-props of a split route read a path: from the item first
 * (`fingerprint`, `status` of an alert) and, where the item has no such
 * value, from the event (`groupKey`, or the group's `status` for senders
 * whose alerts carry none).
 */
export function itemLookup(item: unknown, event: unknown): (path: string) => unknown {
  return (p) => lookupPath(item, p) ?? lookupPath(event, p);
}

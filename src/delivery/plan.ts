// What routing hands to delivery for one event: its matched routes with their
// rendered messages and staged deliveries, dedup keys and aggregation items.
// The order of a route's actions is a list of stages: deliveries of one stage
// run together, the next stage starts when all of them are finished
// (succeeded or dead). Higher `priority` first; within a priority each
// ReadAndWrite action is its own stage (in the listed order), then one stage
// of every ReadOnly action. `serialize-actions` makes every action its own stage.

import type { RenderedMessage } from '../actions/types.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../config/types.js';
import { timeOrderedId } from '../store/time-ordered-id.js';

export type ActionKind = 'ReadOnly' | 'ReadAndWrite';

export interface PlannedDelivery {
  id: string;
  action: string;
  /** Deliveries of a route run stage by stage, lowest first. */
  stage: number;
  kind: ActionKind;
}

export interface PlannedRoute {
  /** The route's name, or for one item of a `split-by` route its run name `<route>[<index>]`. */
  route: string;
  template?: string;
  message: RenderedMessage;
  /**
   * The bundled package (native-templates.ts) whose JavaScript twin rendered
   * `message` from the plan's event itself (not from an item of it): the
   * store keeps this name instead of the text and renders it again when read.
   */
  nativeTemplate?: string;
  deliveries: PlannedDelivery[];
}

/**
 * A key is held per route name; `run` names the planned route (an item's run
 * of a split route) that is dropped when the key is still live.
 */
export interface DedupKey { route: string; key: string; expiresAt: number; run?: string }

export interface EventPlan {
  eventId: string;
  receivedAt: number;
  hops: number;
  event: unknown;
  /** The event's JSON text (stringifyJson), when routing made it already: stores write it as the body instead of serialising the event again. */
  eventText?: string;
  routes: PlannedRoute[];
  /**
   * Dedup keys of routes with unique-message-props. The store takes each key
   * atomically with the event; a route whose key is still live (held by an
   * earlier event, on any replica) is dropped from the plan as a duplicate.
   */
  dedupKeys?: DedupKey[];
  /** Messages to buffer for aggregating routes instead of delivering them now. */
  aggregate?: Array<{ route: string; message: RenderedMessage; run?: string }>;
}

/**
 * An event's value made from its text when first read (see
 * DeferredEventPlan), apart from the plan: what reads the event after the
 * commit (a held delivery, a native template's deferred message) keeps this
 * instead of the plan, so the plan's routes, deliveries and dedup and
 * aggregation lists go with its commit. A held delivery kept the whole plan
 * until it ran, and under a backlog each waiting event's plan was copied and
 * promoted by the young-generation collector (issue 12: `planRun`'s objects
 * were 16 % of what it promoted in the sustained phase, BENCHMARKS.md
 * "session 14: tail").
 */
export class LazyEvent {
  private parsed = false;
  private value: unknown;
  constructor(private parse: (() => unknown) | undefined) {}

  /** An event already parsed (an eager plan's). */
  static of(value: unknown): LazyEvent {
    const e = new LazyEvent(undefined);
    e.parsed = true;
    e.value = value;
    return e;
  }

  get(): unknown {
    if (!this.parsed) {
      // A throw leaves it unparsed (the text was found valid, so only an allocation failure could).
      this.value = this.parse!();
      this.parsed = true;
      this.parse = undefined;
    }
    return this.value;
  }
}

/** What reads a plan's event after its commit, without keeping the plan: a deferred plan's LazyEvent, else the event as it is. */
export function eventSource(plan: EventPlan): LazyEvent {
  return plan instanceof DeferredEventPlan ? plan.lazy : LazyEvent.of(plan.event);
}

/**
 * An EventPlan whose event is parsed from its text when first read: a
 * request body taken as the event's text and left unparsed (the ingest path
 * evaluates routes over the bytes and stores and forwards the text, so most
 * events are never parsed; issue 12). The getter is on the class, not an
 * object literal's (V8 makes a literal's accessor anew per object).
 */
export class DeferredEventPlan implements EventPlan {
  routes: PlannedRoute[] = [];
  dedupKeys: DedupKey[] = [];
  aggregate: Array<{ route: string; message: RenderedMessage; run?: string }> = [];
  /** What reads the event without keeping the plan (LazyEvent). */
  readonly lazy: LazyEvent;
  constructor(readonly eventId: string, readonly receivedAt: number, readonly hops: number, readonly eventText: string, parse: () => unknown) {
    this.lazy = new LazyEvent(parse);
  }

  get event(): unknown {
    return this.lazy.get();
  }
}

export function planStages(actions: string[], policyOf: (action: string) => DeliveryPolicy | undefined, serialize: boolean, newId: () => string = timeOrderedId): PlannedDelivery[] {
  const policy = (a: string) => policyOf(a) ?? DEFAULT_DELIVERY_POLICY;
  if (serialize) return actions.map((action, stage) => ({ id: newId(), action, stage, kind: policy(action).kind }));
  const priorities = [...new Set(actions.map((a) => policy(a).priority))].sort((x, y) => y - x);
  const out: PlannedDelivery[] = [];
  let stage = 0;
  for (const p of priorities) {
    const group = actions.filter((a) => policy(a).priority === p);
    for (const a of group.filter((x) => policy(x).kind === 'ReadAndWrite')) out.push({ id: newId(), action: a, stage: stage++, kind: 'ReadAndWrite' });
    const readOnly = group.filter((x) => policy(x).kind === 'ReadOnly');
    if (readOnly.length) {
      for (const a of readOnly) out.push({ id: newId(), action: a, stage, kind: 'ReadOnly' });
      stage++;
    }
  }
  return out;
}

/**
 * A ReadAndWrite action's output merged into the event: objects merge key by
 * key, anything else replaces it. The top-level `hooker` key stays the
 * event's own: it is what Hooker asserts (hooker.scan), which an action's
 * answer may not add or change.
 */
export function mergeEvent(event: unknown, update: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(update)) return update;
  const merged: Record<string, unknown> = isObj(event) ? { ...event, ...update } : { ...update };
  if (Object.prototype.hasOwnProperty.call(update, 'hooker')) {
    if (isObj(event) && Object.prototype.hasOwnProperty.call(event, 'hooker')) merged['hooker'] = event['hooker'];
    else delete merged['hooker'];
  }
  return merged;
}

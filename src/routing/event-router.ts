// One event through the current runtime: evaluate the route entrypoint once,
// drop repeats of routes with unique-message-props, render each matching
// route's template, and hand the whole plan (staged deliveries, dedup keys,
// aggregation items) to the delivery queue, which commits it at once.

import type { Action, RenderedMessage } from '../actions/types.js';
import type { ActionConfig, DeliveryPolicy, RouteConfig } from '../config/types.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import { templateInput } from '../templates/template-input.js';
import { deferredMessage } from '../templates/deferred-message.js';
import { NATIVE_TEMPLATES, nativeRenderCannotFail } from '../templates/native-templates.js';
import { combineMessages } from '../templates/aggregate-messages.js';
import type { AggregateRows, ClaimedDelivery, PlanCommit } from '../store/types.js';
import type { DeliveryQueue, DeliveryRecord } from '../delivery/scheduler.js';
import { DeferredEventPlan, eventSource, planStages, type DedupKey, type EventPlan, type PlannedDelivery, type PlannedRoute } from '../delivery/plan.js';
import { DEFAULT_DEDUP_TTL_MS, dedupKey } from './dedup-key.js';
import type { RouteMatcher } from './route-matcher.js';
import { itemCount, itemLookup, MAX_SPLIT_ITEMS, parseRun, runName, splitItem, splitItems, type SplitItem } from './split-items.js';
import { RegoEvalError, RegoLimitError } from '../rego/index.js';
import { timeOrderedId } from '../store/time-ordered-id.js';
import { stringifyJson } from '../json/lossless.js';

const utf8 = new TextEncoder();

export { actionHandler } from '../delivery/action-runner.js';

/** What the router needs of a runtime (the server's Runtime satisfies it). */
export interface RoutingTable {
  routes: Map<string, RouteConfig>;
  matcher: RouteMatcher;
  templates: Map<string, TemplateRenderer>;
  actions: Map<string, Action>;
  config: { serverUrl?: string; actions?: ActionConfig[] };
}

export interface RoutedEvent {
  eventId: string;
  matched: string[];
  skipped: Array<{ route: string; reason: string }>;
  evaluationMs: number;
  /** When the router took the event (ms since the epoch; the plan's receivedAt). */
  receivedAt?: number;
  /**
   * Resolves when the event is durably stored: acknowledge it only then.
   * Routes refused as duplicates (unique-message-props, decided by the store
   * at commit, across replicas) are added to `skipped` before it resolves.
   */
  committed: Promise<PlanCommit>;
  /** Resolves with the first attempt of every delivery of the event. */
  done: Promise<DeliveryRecord[]>;
}

export interface RouterHooks {
  onRenderFailure?(route: string, error: Error): void;
  /** A route's filter failed for one event; `limit` names the evaluation limit that stopped it. */
  onEvaluationFailure?(route: string, reason: string, limit?: string): void;
  onDuplicate?(route: string): void;
  onAggregateFlush?(route: string, count: number): void;
  /** The aggregation buffer could not be read or flushed (the store is unreachable); the next event or timer tries again. */
  onAggregateError?(route: string, error: Error): void;
}

export interface RouterStores {
  /** Without it, unique-message-props is not applied. */
  dedup?: boolean;
  aggregates?: AggregateRows;
}

export function policyOf(table: RoutingTable, action: string): DeliveryPolicy | undefined {
  return table.config.actions?.find((a) => a.name === action)?.delivery;
}

/** AcceptOptions of an event whose first attempts nobody waits for (one object for all of them). */
const UNTRACKED = { firstAttempts: false } as const;

/** The event of a run: an item's, or the plan's (which a deferred plan parses when read). */
function runEvent(r: { event?: unknown; plan: EventPlan; item?: unknown }): unknown {
  return r.item ? r.event : r.plan.event;
}

export class EventRouter {
  private readonly aggregateTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Routes whose flushed plan is not committed yet (their buffer still shows the flushed items). */
  private readonly flushing = new Set<string>();
  /** Per route of a routing table: its actions that exist and their stages (see stagesOf). */
  private readonly stages = new WeakMap<RouteConfig, { table: RoutingTable; actions: string[]; stages: Array<Omit<PlannedDelivery, 'id'>> }>();
  private closed = false;
  /** Route names of a routing table in config order (see routeNames). */
  private readonly names = new WeakMap<RoutingTable, string[]>();

  constructor(
    private readonly table: () => RoutingTable,
    private readonly queue: DeliveryQueue & { poke?(): void },
    private readonly opts: { hookerUrl?: string; hooks?: RouterHooks; stores?: RouterStores; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  render(table: RoutingTable, route: RouteConfig, event: unknown, eventId: string, item?: { index: number; count: number }): RenderedMessage {
    const renderer = route.template ? table.templates.get(route.template) : undefined;
    if (!renderer) throw new Error(`template "${route.template}" is not loaded`);
    if (renderer.renderEvent) return renderer.renderEvent(event);
    const ctx = { serverUrl: table.config.serverUrl, hookerUrl: this.opts.hookerUrl, routeName: route.name, eventId };
    const split = item && route.splitBy !== undefined ? { item: { index: item.index, count: item.count, path: route.splitBy } } : {};
    return renderer.render(templateInput(event, { ...ctx, ...split }, renderer.inputFlavour));
  }

  /**
   * Renders a route's message; a template whose result does not depend on
   * the route is rendered once per event (`once` holds this event's results,
   * failures included) however many matching routes use it.
   */
  private renderOnce(table: RoutingTable, route: RouteConfig, event: unknown, eventId: string, once: Map<string, RenderedMessage | Error>,
    item?: { index: number; count: number }): RenderedMessage {
    const renderer = route.template ? table.templates.get(route.template) : undefined;
    if (!renderer?.routeIndependent) return this.render(table, route, event, eventId, item);
    // An item's input differs by split path and position: they are part of the key.
    const key = item ? `${renderer.name}\u0000${route.splitBy}\u0000${item.index}` : renderer.name;
    const known = once.get(key);
    if (known instanceof Error) throw known;
    if (known) return known;
    try {
      const message = this.render(table, route, event, eventId, item);
      once.set(key, message);
      return message;
    } catch (e) {
      once.set(key, e as Error);
      throw e;
    }
  }

  /** Re-renders a delivery's route message for an enriched event (the scheduler's rerender hook). */
  rerender(d: ClaimedDelivery, event: unknown): RenderedMessage | undefined {
    const table = this.table();
    const { route: name, index } = parseRun(d.route, (n) => table.routes.has(n));
    const route = table.routes.get(name);
    if (!route) return undefined;
    if (index === undefined || route.splitBy === undefined) return this.render(table, route, event, d.eventId);
    // One item's run: the enriched event narrowed to the same item again.
    const one = splitItem(event, route.splitBy, index);
    if (!one) return undefined;
    return this.render(table, route, one.item.event, d.eventId, { index, count: one.count });
  }

  /**
   * `firstAttempts: false`: nobody waits for `done` (see AcceptOptions); it
   * resolves at once with no records. `text`: the event's JSON text exactly
   * as stringifyJson writes it and its UTF-8 (a canonical request body,
   * src/server/json-body.ts canonicalText), used instead of serialising it.
   * `text.parse`: the event was not parsed yet (`event` is ignored); it is
   * made from the text when something reads it (the plan's `event`), which a
   * wasm evaluation over the bytes, a native template's deferred message and
   * an http action sending the stored text never do.
   */
  route(event: unknown, opts: { hops: number; only?: string; eventId?: string; firstAttempts?: boolean; text?: { text: string; bytes: Uint8Array; parse?: () => unknown } }): RoutedEvent {
    const table = this.table();
    const eventId = opts.eventId ?? timeOrderedId();
    const receivedAt = this.now();
    const started = performance.now();
    // One JSON text of the event, for the route entrypoint's input and the stored body.
    const eventText = opts.text ? opts.text.text : stringifyJson(event);
    const json = opts.text ? opts.text.bytes : eventText === undefined ? undefined : utf8.encode(eventText);
    const plan: EventPlan = opts.text?.parse
      ? new DeferredEventPlan(eventId, receivedAt, opts.hops, opts.text.text, opts.text.parse)
      : { eventId, receivedAt, hops: opts.hops, event, ...(eventText !== undefined ? { eventText } : {}), routes: [], dedupKeys: [], aggregate: [] };
    // A matcher that evaluates the bytes alone is not handed the event (reading a deferred plan's event parses it).
    const input = json !== undefined && table.matcher.readsBytesOnly ? undefined : plan.event;
    const outcome = table.matcher.matchOrFail?.(input, json) ?? { matched: table.matcher.match(input, json), failed: [] };
    const evaluationMs = performance.now() - started;
    const failedBy = outcome.failed.length ? new Map(outcome.failed.map((f) => [f.route, f])) : undefined;
    const matched: string[] = [];
    const skipped: Array<{ route: string; reason: string }> = [];
    const rendered = new Map<string, RenderedMessage | Error>();
    // Config order, so deliveries happen in the order routes are written.
    const names = this.routeNames(table, outcome.matched);
    for (const name of names) {
      if (opts.only !== undefined && name !== opts.only) continue;
      const route = table.routes.get(name);
      const count = route?.splitBy !== undefined ? itemCount(plan.event, route.splitBy) : undefined;
      if (count !== undefined && count > MAX_SPLIT_ITEMS) {
        skipped.push({ route: name, reason: `split-by: ${count} items at "${route!.splitBy}" are more than ${MAX_SPLIT_ITEMS}; the event is handled whole, as one message` });
      }
      const items = route?.splitBy !== undefined && count !== undefined && count <= MAX_SPLIT_ITEMS ? splitItems(plan.event, route.splitBy) : undefined;
      if (route && items) {
        // A split route's filter decides per item; the whole event's verdict does not count.
        if (this.planItems(table, route, items, { eventId, receivedAt, plan, skipped, rendered, eventMatched: outcome.matched.includes(name) })) matched.push(name);
        continue;
      }
      // A route whose filter could not be evaluated (a limit, a conflict) is
      // failed for this event only; the other routes and the server go on.
      const f = failedBy?.get(name);
      if (f) {
        this.opts.hooks?.onEvaluationFailure?.(f.route, f.reason, f.limit);
        skipped.push({ route: f.route, reason: `evaluation failed: ${f.reason}` });
        continue;
      }
      if (!outcome.matched.includes(name)) continue;
      matched.push(name);
      if (route) this.planRun(table, route, { run: name, eventId, receivedAt, plan, rendered });
    }
    const accepted = this.queue.accept(plan, opts.firstAttempts === false ? UNTRACKED : undefined);
    // Without dedup keys nothing is refused as a duplicate, without aggregation nothing is flushed: no step after the commit.
    if (plan.dedupKeys!.length === 0 && plan.aggregate!.length === 0) return { eventId, matched, skipped, evaluationMs, receivedAt, committed: accepted.committed, done: accepted.done };
    const isRoute = (n: string) => table.routes.has(n);
    const committed = accepted.committed.then((c) => {
      for (const run of c.duplicates) {
        const { route, index } = parseRun(run, isRoute);
        this.opts.hooks?.onDuplicate?.(route);
        skipped.push({ route, reason: `duplicate of a recent message (unique-message-props)${index === undefined ? '' : `: item ${index} (${run})`}` });
      }
      const flush = new Set((plan.aggregate ?? []).filter((a) => !c.duplicates.includes(a.run ?? a.route)).map((a) => a.route));
      for (const route of flush) void this.checkAggregate(route);
      return c;
    });
    return { eventId, matched, skipped, evaluationMs, receivedAt, committed, done: accepted.done };
  }

  /**
   * The table's route names in config order, then any matched name the table
   * lacks; the first part is made once per table, not for every event.
   */
  private routeNames(table: RoutingTable, matched: readonly string[]): string[] {
    let names = this.names.get(table);
    // The size check catches a table whose routes map was changed in place (tests do).
    if (names?.length !== table.routes.size) { names = [...table.routes.keys()]; this.names.set(table, names); }
    return matched.every((n) => table.routes.has(n)) ? names : [...names, ...matched.filter((n) => !table.routes.has(n))];
  }

  /**
   * Plans one run of a split route per item its filter accepts; says whether
   * any item was accepted. An item whose filter cannot be evaluated is
   * skipped with the reason, the other items go on.
   */
  private planItems(table: RoutingTable, route: RouteConfig, items: SplitItem[], at: {
    eventId: string; receivedAt: number; plan: EventPlan; skipped: Array<{ route: string; reason: string }>;
    rendered: Map<string, RenderedMessage | Error>; eventMatched: boolean;
  }): boolean {
    if (items.length === 0) {
      if (at.eventMatched) at.skipped.push({ route: route.name, reason: `no items at "${route.splitBy}" (split-by)` });
      return false;
    }
    let any = false;
    for (const it of items) {
      const run = runName(route.name, it.index);
      try {
        const m = table.matcher;
        if (!(m.matchRoute ? m.matchRoute(it.event, route.name) : m.match(it.event).includes(route.name))) continue;
      } catch (e) {
        if (!(e instanceof RegoEvalError)) throw e;
        this.opts.hooks?.onEvaluationFailure?.(route.name, e.message, e instanceof RegoLimitError ? e.limit : undefined);
        at.skipped.push({ route: route.name, reason: `evaluation failed for ${run}: ${e.message}` });
        continue;
      }
      any = true;
      this.planRun(table, route, { ...at, run, event: it.event, item: { index: it.index, count: items.length, value: it.item } });
    }
    return any;
  }

  /**
   * Renders one run (a route, or one item of a split route) and adds it to
   * the plan: to deliver, or to buffer when the route aggregates. `event` is
   * an item's; without `item` the run is of the plan's event, read from the
   * plan only where needed (a deferred plan parses it when read).
   */
  private planRun(table: RoutingTable, route: RouteConfig, r: {
    run: string; event?: unknown; eventId: string; receivedAt: number; plan: EventPlan; rendered: Map<string, RenderedMessage | Error>;
    item?: { index: number; count: number; value: unknown };
  }): void {
    // No closures here: two per run were garbage on every event (issue 12).
    const dedup = route.plugins.uniqueMessageProps?.length && this.opts.stores?.dedup ? this.dedupKeyFor(route, runEvent(r), r.receivedAt, r.item?.value) : undefined;
    const { actions } = this.stagesOf(table, route);
    if (actions.length === 0) return;
    const itemRun = r.run === route.name ? undefined : r.run;
    if (dedup) r.plan.dedupKeys!.push(itemRun === undefined ? dedup : { ...dedup, run: itemRun });
    const aggregates = this.aggregates(route);
    // A native template's message of the whole event is rendered when first
    // read (deferred-message.ts): the store keeps it as the template's name
    // (src/store/stored-message.ts) and renders it from the stored body when
    // it reads the run back, so most events never need the text at ingest.
    const renderer = route.template ? table.templates.get(route.template) : undefined;
    if (renderer?.renderEvent && !r.item && !aggregates) {
      r.plan.routes.push(this.plannedRoute(table, route, this.deferredNative(route, renderer, r.plan, r.rendered), r.run, renderer.package));
      return;
    }
    let message: RenderedMessage;
    try {
      message = this.renderOnce(table, route, runEvent(r), r.eventId, r.rendered, r.item);
    } catch (e) {
      message = this.renderFailed(route, e as Error, r.item);
    }
    if (aggregates && !message.templateError) {
      r.plan.aggregate!.push(itemRun === undefined ? { route: route.name, message } : { route: route.name, message, run: itemRun });
      return;
    }
    r.plan.routes.push(this.plannedRoute(table, route, message, r.run));
  }

  /**
   * Recorded as failed deliveries (dead at their first attempt), visible in
   * /events, `hooker deliveries` and the dead letters.
   */
  private renderFailed(route: RouteConfig, e: Error, item?: { index: number }): RenderedMessage {
    this.opts.hooks?.onRenderFailure?.(route.name, e);
    return { title: '', body: '', templateError: `template "${route.template}" failed for this event${item ? ` (item ${item.index})` : ''}: ${e.message}` };
  }

  /** One deferred message per event and native template, whichever matching routes use it; it reads the plan's event when rendered. */
  private deferredNative(route: RouteConfig, renderer: TemplateRenderer, plan: EventPlan, once: Map<string, RenderedMessage | Error>): RenderedMessage {
    // Under the renderer's name, as renderOnce keeps a whole-event message: the same text either way.
    const known = once.get(renderer.name);
    if (known && !(known instanceof Error)) return known;
    // With the event's text within the bounds the native twins always render, the runner's templateError check renders nothing.
    const eventText = plan.eventText;
    const cannotFail = eventText !== undefined && NATIVE_TEMPLATES.has(renderer.package) && nativeRenderCannotFail(eventText);
    // The render reads the event, not the plan: the message outlives the commit in the held deliveries (LazyEvent).
    const source = eventSource(plan);
    const message = deferredMessage(() => renderer.renderEvent!(source.get()), (e) => this.renderFailed(route, e), cannotFail);
    once.set(renderer.name, message);
    return message;
  }

  /**
   * A route's actions that the table has and their stages: they depend only
   * on the table (one configuration, swapped whole on reload), so they are
   * worked out once per table and route instead of for every event.
   */
  private stagesOf(table: RoutingTable, route: RouteConfig) {
    let s = this.stages.get(route);
    if (s?.table !== table) {
      const actions = route.actions.filter((a) => table.actions.has(a));
      s = { table, actions, stages: planStages(actions, (a) => policyOf(table, a), route.serializeActions).map(({ id: _id, ...d }) => d) };
      this.stages.set(route, s);
    }
    return s;
  }

  /** `run`: the planned route's name (an item's run of a split route); `nativeTemplate` as in PlannedRoute. */
  private plannedRoute(table: RoutingTable, route: RouteConfig, message: RenderedMessage, run = route.name, nativeTemplate?: string): PlannedRoute {
    const { stages } = this.stagesOf(table, route);
    const deliveries: PlannedDelivery[] = new Array(stages.length);
    for (let i = 0; i < stages.length; i++) {
      const d = stages[i]!;
      deliveries[i] = { id: timeOrderedId(), action: d.action, stage: d.stage, kind: d.kind };
    }
    const planned: PlannedRoute = { route: run, message, deliveries };
    if (route.template) planned.template = route.template;
    if (nativeTemplate !== undefined) planned.nativeTemplate = nativeTemplate;
    return planned;
  }

  /** The key this route's delivery takes (the store refuses it while a live one exists), undefined without the plugin. */
  private dedupKeyFor(route: RouteConfig, event: unknown, now: number, item?: unknown): DedupKey | undefined {
    const props = route.plugins.uniqueMessageProps;
    if (!props?.length || !this.opts.stores?.dedup) return undefined;
    const key = item === undefined ? dedupKey(event, props) : dedupKey(event, props, itemLookup(item, event));
    return { route: route.name, key, expiresAt: now + (route.plugins.uniqueMessageTimeoutMs ?? DEFAULT_DEDUP_TTL_MS) };
  }

  private aggregates(route: RouteConfig): boolean {
    const p = route.plugins;
    return !!this.opts.stores?.aggregates && (p.aggregateMessageNumber !== undefined || p.aggregateMessageTimeoutMs !== undefined);
  }

  /** Flushes a route's buffer when it is full, or arms its timer (also used after a restart). */
  async checkAggregate(routeName: string): Promise<void> {
    const store = this.opts.stores?.aggregates;
    const route = this.table().routes.get(routeName);
    if (!store || this.closed || !route || this.flushing.has(routeName)) return;
    const { aggregateMessageNumber: n, aggregateMessageTimeoutMs: timeout } = route.plugins;
    try {
      if (n !== undefined && await store.count(routeName) >= n) { await this.flushAggregate(routeName); return; }
      if (timeout === undefined || this.aggregateTimers.has(routeName)) return;
      const oldest = await store.oldest(routeName);
      if (oldest === undefined || this.closed || this.aggregateTimers.has(routeName)) return;
      const t = setTimeout(() => { this.aggregateTimers.delete(routeName); void this.flushAggregate(routeName); }, Math.max(0, oldest + timeout - this.now()));
      t.unref?.();
      this.aggregateTimers.set(routeName, t);
    } catch (e) {
      this.opts.hooks?.onAggregateError?.(routeName, e as Error);
    }
  }

  /**
   * Sends a route's buffered messages as one, through its template's
   * aggregation. The store runs the take-and-commit for one replica at a
   * time; a replica that comes second finds the buffer emptied (or not due
   * yet) and declines, so each window flushes once.
   */
  async flushAggregate(routeName: string): Promise<void> {
    const store = this.opts.stores?.aggregates;
    const table = this.table();
    const route = table.routes.get(routeName);
    if (!store || !route || this.closed || this.flushing.has(routeName)) return;
    clearTimeout(this.aggregateTimers.get(routeName));
    this.aggregateTimers.delete(routeName);
    const { aggregateMessageNumber: n, aggregateMessageTimeoutMs: timeout } = route.plugins;
    this.flushing.add(routeName);
    let flushed = 0;
    try {
      flushed = await store.flush(routeName, n ?? 10_000, (items) => {
        const full = n !== undefined && items.length >= n;
        const aged = timeout !== undefined && items[0]!.createdAt + timeout <= this.now();
        if (!full && !aged) return undefined;
        const renderer = route.template ? table.templates.get(route.template) : undefined;
        const message = renderer?.aggregate?.(items.map((i) => i.message)) ?? combineMessages(items.map((i) => i.message));
        return {
          eventId: timeOrderedId(), receivedAt: this.now(), hops: 0,
          event: { aggregated: items.map((i) => i.eventId), route: routeName },
          routes: this.stagesOf(table, route).actions.length ? [this.plannedRoute(table, route, message)] : [],
        };
      });
    } catch (e) {
      // Store unreachable: the buffer stays and is looked at again shortly.
      this.opts.hooks?.onAggregateError?.(routeName, e as Error);
      if (!this.closed) {
        const t = setTimeout(() => { this.aggregateTimers.delete(routeName); void this.checkAggregate(routeName); }, 2_000);
        t.unref?.();
        this.aggregateTimers.set(routeName, t);
      }
      return;
    } finally {
      this.flushing.delete(routeName);
    }
    if (flushed > 0) {
      this.opts.hooks?.onAggregateFlush?.(routeName, flushed);
      this.queue.poke?.();
    }
    // More may be buffered than one message carries, or the buffer was not due yet: look again.
    await this.checkAggregate(routeName);
  }

  /** Re-arms aggregation timers for buffers a previous process (or another replica) left. */
  async resumeAggregates(): Promise<void> {
    for (const r of await this.opts.stores?.aggregates?.routes() ?? []) await this.checkAggregate(r);
  }

  close(): void {
    this.closed = true;
    for (const t of this.aggregateTimers.values()) clearTimeout(t);
    this.aggregateTimers.clear();
  }
}

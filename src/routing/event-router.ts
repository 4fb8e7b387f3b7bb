// One event through the current runtime: evaluate the route entrypoint once,
// drop repeats of routes with unique-message-props, render each matching
// route's template, and hand the whole plan (staged deliveries, dedup keys,
// aggregation items) to the delivery queue, which commits it at once.

import { randomUUID } from 'node:crypto';
import type { Action, RenderedMessage } from '../actions/types.js';
import type { ActionConfig, DeliveryPolicy, RouteConfig } from '../config/types.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import { templateInput } from '../templates/template-input.js';
import { combineMessages } from '../templates/aggregate-messages.js';
import type { AggregateRows, ClaimedDelivery, PlanCommit } from '../store/types.js';
import type { DeliveryQueue, DeliveryRecord } from '../delivery/scheduler.js';
import { planStages, type DedupKey, type EventPlan, type PlannedRoute } from '../delivery/plan.js';
import { DEFAULT_DEDUP_TTL_MS, dedupKey } from './dedup-key.js';
import type { RouteMatcher } from './route-matcher.js';

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

export class EventRouter {
  private readonly aggregateTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Routes whose flushed plan is not committed yet (their buffer still shows the flushed items). */
  private readonly flushing = new Set<string>();
  private closed = false;

  constructor(
    private readonly table: () => RoutingTable,
    private readonly queue: DeliveryQueue & { poke?(): void },
    private readonly opts: { hookerUrl?: string; hooks?: RouterHooks; stores?: RouterStores; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  render(table: RoutingTable, route: RouteConfig, event: unknown, eventId: string): RenderedMessage {
    const renderer = route.template ? table.templates.get(route.template) : undefined;
    if (!renderer) throw new Error(`template "${route.template}" is not loaded`);
    if (renderer.renderEvent) return renderer.renderEvent(event);
    return renderer.render(templateInput(event, { serverUrl: table.config.serverUrl, hookerUrl: this.opts.hookerUrl, routeName: route.name, eventId }, renderer.inputFlavour));
  }

  /**
   * Renders a route's message; a template whose result does not depend on
   * the route is rendered once per event (`once` holds this event's results,
   * failures included) however many matching routes use it.
   */
  private renderOnce(table: RoutingTable, route: RouteConfig, event: unknown, eventId: string, once: Map<string, RenderedMessage | Error>): RenderedMessage {
    const renderer = route.template ? table.templates.get(route.template) : undefined;
    if (!renderer?.routeIndependent) return this.render(table, route, event, eventId);
    const known = once.get(renderer.name);
    if (known instanceof Error) throw known;
    if (known) return known;
    try {
      const message = this.render(table, route, event, eventId);
      once.set(renderer.name, message);
      return message;
    } catch (e) {
      once.set(renderer.name, e as Error);
      throw e;
    }
  }

  /** Re-renders a delivery's route message for an enriched event (the scheduler's rerender hook). */
  rerender(d: ClaimedDelivery, event: unknown): RenderedMessage | undefined {
    const table = this.table();
    const route = table.routes.get(d.route);
    if (!route) return undefined;
    return this.render(table, route, event, d.eventId);
  }

  route(event: unknown, opts: { hops: number; only?: string; eventId?: string }): RoutedEvent {
    const table = this.table();
    const eventId = opts.eventId ?? randomUUID();
    const receivedAt = this.now();
    const started = performance.now();
    const outcome = table.matcher.matchOrFail?.(event) ?? { matched: table.matcher.match(event), failed: [] };
    let matched = outcome.matched;
    const evaluationMs = performance.now() - started;
    if (opts.only !== undefined) matched = matched.filter((n) => n === opts.only);
    const skipped: Array<{ route: string; reason: string }> = [];
    // A route whose filter could not be evaluated (a limit, a conflict) is
    // failed for this event only; the other routes and the server go on.
    for (const f of outcome.failed) {
      if (opts.only !== undefined && f.route !== opts.only) continue;
      this.opts.hooks?.onEvaluationFailure?.(f.route, f.reason, f.limit);
      skipped.push({ route: f.route, reason: `evaluation failed: ${f.reason}` });
    }
    const plan: EventPlan = { eventId, receivedAt, hops: opts.hops, event, routes: [], dedupKeys: [], aggregate: [] };
    const rendered = new Map<string, RenderedMessage | Error>();
    for (const name of matched) {
      const route = table.routes.get(name);
      if (!route) continue;
      const dedup = this.dedupKeyFor(route, event, receivedAt);
      const actions = route.actions.filter((a) => table.actions.has(a));
      if (actions.length === 0) continue;
      let message: RenderedMessage;
      try {
        message = this.renderOnce(table, route, event, eventId, rendered);
      } catch (e) {
        // Recorded as failed deliveries (dead at their first attempt), visible
        // in /events, `hooker deliveries` and the dead letters.
        this.opts.hooks?.onRenderFailure?.(name, e as Error);
        message = { title: '', body: '', templateError: `template "${route.template}" failed for this event: ${(e as Error).message}` };
      }
      if (dedup) plan.dedupKeys!.push(dedup);
      if (this.aggregates(route) && !message.templateError) {
        plan.aggregate!.push({ route: name, message });
        continue;
      }
      plan.routes.push(this.plannedRoute(table, route, actions, message));
    }
    const accepted = this.queue.accept(plan);
    const committed = accepted.committed.then((c) => {
      for (const name of c.duplicates) {
        this.opts.hooks?.onDuplicate?.(name);
        skipped.push({ route: name, reason: 'duplicate of a recent message (unique-message-props)' });
      }
      for (const a of plan.aggregate ?? []) if (!c.duplicates.includes(a.route)) void this.checkAggregate(a.route);
      return c;
    });
    return { eventId, matched, skipped, evaluationMs, committed, done: accepted.done };
  }

  private plannedRoute(table: RoutingTable, route: RouteConfig, actions: string[], message: RenderedMessage): PlannedRoute {
    return {
      route: route.name,
      ...(route.template ? { template: route.template } : {}),
      message,
      deliveries: planStages(actions, (a) => policyOf(table, a), route.serializeActions),
    };
  }

  /** The key this route's delivery takes (the store refuses it while a live one exists), undefined without the plugin. */
  private dedupKeyFor(route: RouteConfig, event: unknown, now: number): DedupKey | undefined {
    const props = route.plugins.uniqueMessageProps;
    if (!props?.length || !this.opts.stores?.dedup) return undefined;
    return { route: route.name, key: dedupKey(event, props), expiresAt: now + (route.plugins.uniqueMessageTimeoutMs ?? DEFAULT_DEDUP_TTL_MS) };
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
        const actions = route.actions.filter((a) => table.actions.has(a));
        return {
          eventId: randomUUID(), receivedAt: this.now(), hops: 0,
          event: { aggregated: items.map((i) => i.eventId), route: routeName },
          routes: actions.length ? [this.plannedRoute(table, route, actions, message)] : [],
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

// One event through the current runtime: evaluate the route entrypoint once,
// render each matching route's template, hand every (route, action) pair to
// the delivery queue. Serialized routes run their actions one after another;
// otherwise all go at once, each on its action's own lane.

import { randomUUID } from 'node:crypto';
import type { Action, DeliveryResult, RenderedMessage } from '../actions/types.js';
import type { RouteConfig } from '../config/types.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import { templateInput } from '../templates/template-input.js';
import type { DeliveryJob, DeliveryQueue, DeliveryRecord } from './delivery-queue.js';
import type { RouteMatcher } from './route-matcher.js';
import { UniqueMessageFilter } from './unique-messages.js';

/** What the router needs of a runtime (the server's Runtime satisfies it). */
export interface RoutingTable {
  routes: Map<string, RouteConfig>;
  matcher: RouteMatcher;
  templates: Map<string, TemplateRenderer>;
  actions: Map<string, Action>;
  config: { serverUrl?: string };
}

export interface RoutedEvent {
  eventId: string;
  matched: string[];
  skipped: Array<{ route: string; reason: string }>;
  evaluationMs: number;
  /** Resolves when every delivery of the event has finished. */
  done: Promise<DeliveryRecord[]>;
}

export interface RouterHooks {
  onRenderFailure?(route: string, error: Error): void;
}

export class EventRouter {
  private readonly unique = new UniqueMessageFilter();

  constructor(
    private readonly table: () => RoutingTable,
    private readonly queue: DeliveryQueue,
    private readonly opts: { hookerUrl?: string; hooks?: RouterHooks } = {},
  ) {}

  route(event: unknown, opts: { hops: number; only?: string; eventId?: string }): RoutedEvent {
    const table = this.table();
    const eventId = opts.eventId ?? randomUUID();
    const started = performance.now();
    let matched = table.matcher.match(event);
    const evaluationMs = performance.now() - started;
    if (opts.only !== undefined) matched = matched.filter((n) => n === opts.only);
    const skipped: Array<{ route: string; reason: string }> = [];
    const runs: Array<Promise<DeliveryRecord[]>> = [];
    for (const name of matched) {
      const route = table.routes.get(name);
      if (!route) continue;
      const p = route.plugins;
      if (p.uniqueMessageProps?.length && !this.unique.admit(name, event, p.uniqueMessageProps, p.uniqueMessageTimeoutMs)) {
        skipped.push({ route: name, reason: 'duplicate of a recent message (unique-message-props)' });
        continue;
      }
      const actions = route.actions.filter((a) => table.actions.has(a));
      if (actions.length === 0) continue;
      let message: RenderedMessage;
      try {
        const renderer = route.template ? table.templates.get(route.template) : undefined;
        if (!renderer) throw new Error(`template "${route.template}" is not loaded`);
        message = renderer.render(templateInput(event, { serverUrl: table.config.serverUrl, hookerUrl: this.opts.hookerUrl, routeName: name, eventId }));
      } catch (e) {
        this.opts.hooks?.onRenderFailure?.(name, e as Error);
        skipped.push({ route: name, reason: `template failed: ${(e as Error).message}` });
        continue;
      }
      const jobs = actions.map((actionName): DeliveryJob => ({
        deliveryId: randomUUID(), eventId, routeName: name, actionName, event, message, hops: opts.hops, enqueuedAt: Date.now(),
      }));
      runs.push(route.serializeActions ? this.serial(jobs) : Promise.all(jobs.map((j) => this.queue.enqueue(j))));
    }
    const done = Promise.all(runs).then((r) => r.flat());
    return { eventId, matched, skipped, evaluationMs, done };
  }

  /** Postee semantics: a failed action does not stop the ones after it. */
  private async serial(jobs: DeliveryJob[]): Promise<DeliveryRecord[]> {
    const out: DeliveryRecord[] = [];
    for (const job of jobs) out.push(await this.queue.enqueue(job));
    return out;
  }
}

/** The queue's handler: runs a job against the action of that name in the current runtime. */
export function actionHandler(actions: () => Map<string, Action>, timeoutGuardMs = 10 * 60_000) {
  return async (job: DeliveryJob, shutdown: AbortSignal): Promise<{ result: DeliveryResult; log: string[] }> => {
    const action = actions().get(job.actionName);
    const log: string[] = [];
    if (!action) return { result: { ok: false, retryable: false, detail: `action "${job.actionName}" is no longer configured` }, log };
    // Actions enforce their own timeouts; this guard only bounds a misbehaving one.
    const signal = AbortSignal.any([shutdown, AbortSignal.timeout(timeoutGuardMs)]);
    const result = await action.deliver({
      deliveryId: job.deliveryId, eventId: job.eventId, routeName: job.routeName, event: job.event, message: job.message,
      hops: job.hops, signal, log: (line) => { log.push(line); },
    });
    return { result, log };
  };
}

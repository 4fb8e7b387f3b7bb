// The seam between routing and delivery. The router hands over a whole
// event's plan (its routes, rendered messages and staged deliveries); the
// queue commits it to the durable store before anything is answered, then
// runs due deliveries on per-action lanes (a slow or failing action never
// holds up another), retries failures with backoff and dead-letters them.
// A ':memory:' database gives the same behaviour without a file.

import type { RenderedMessage, DeliveryResult } from '../actions/types.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../config/types.js';
import type { ClaimedDelivery, DeliveryState, DeliveryStore, EventPlan } from '../store/delivery-store.js';
import { mergeEvent, retryDelayMs } from './delivery-plan.js';

export interface DeliveryJob {
  deliveryId: string;
  eventId: string;
  routeName: string;
  actionName: string;
  event: unknown;
  message: RenderedMessage;
  hops: number;
  enqueuedAt: number;
  /** 1 for the first attempt. */
  attempt: number;
}

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  routeName: string;
  actionName: string;
  ok: boolean;
  /** State after this attempt: succeeded, pending (a retry is scheduled) or dead. */
  state: DeliveryState;
  attempt: number;
  detail?: string;
  changed?: string[];
  log: string[];
  startedAt: number;
  finishedAt: number;
}

/** Runs one job against the current configuration's action of that name. */
export type DeliveryHandler = (job: DeliveryJob, signal: AbortSignal) => Promise<{ result: DeliveryResult; log: string[] }>;

export interface DeliveryQueue {
  /**
   * Commits the plan (event, deliveries, dedup keys, aggregation items) and
   * schedules it. `done` resolves with the outcome of each delivery's first
   * attempt (later retries continue in the background).
   */
  accept(plan: EventPlan): { done: Promise<DeliveryRecord[]> };
  /** Events with unfinished deliveries (the inbox). */
  pending(): number;
  /** Stops taking work, waits up to `graceMs` for running deliveries, then aborts them and leaves them stored. */
  close(graceMs?: number): Promise<void>;
}

export interface SchedulerOptions {
  policyOf?: (action: string) => DeliveryPolicy | undefined;
  /** Re-renders a route's message for an event enriched by a ReadAndWrite action. */
  rerender?: (d: ClaimedDelivery, event: unknown) => RenderedMessage | undefined;
  onRecord?: (record: DeliveryRecord) => void;
  random?: () => number;
  now?: () => number;
}

interface Lane { running: number }

export class DeliveryScheduler implements DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();
  private readonly running = new Set<Promise<void>>();
  private readonly waiters = new Map<string, (r: DeliveryRecord) => void>();
  private readonly shutdown = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private closed = false;
  private pumping = false;
  private readonly now: () => number;

  constructor(private readonly store: DeliveryStore, private readonly handler: DeliveryHandler, private readonly opts: SchedulerOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** Resumes what a previous process left unfinished. */
  start(): { resumed: number } {
    const resumed = this.store.resetRunning(this.now());
    this.pump();
    return { resumed };
  }

  pending(): number {
    return this.store.openEvents();
  }

  accept(plan: EventPlan): { done: Promise<DeliveryRecord[]> } {
    if (this.closed) throw new Error('server is shutting down');
    this.store.insertPlan(plan);
    const ids = plan.routes.flatMap((r) => r.deliveries.map((d) => d.id));
    const done = Promise.all(ids.map((id) => new Promise<DeliveryRecord>((resolve) => this.waiters.set(id, resolve))));
    this.pump();
    return { done };
  }

  /** Wakes the scheduler (after an admin retry, for instance). */
  poke(): void {
    this.pump();
  }

  private policy(action: string): DeliveryPolicy {
    return this.opts.policyOf?.(action) ?? DEFAULT_DELIVERY_POLICY;
  }

  private lane(action: string): Lane {
    let lane = this.lanes.get(action);
    if (!lane) { lane = { running: 0 }; this.lanes.set(action, lane); }
    return lane;
  }

  private pump(): void {
    if (this.closed || this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const free = (a: string) => this.policy(a).concurrency - this.lane(a).running;
        const busy = [...this.lanes.keys()].filter((a) => free(a) <= 0);
        const claimed = this.store.claimDue(this.now(), free, busy, 64);
        if (claimed.length === 0) break;
        for (const d of claimed) {
          const lane = this.lane(d.action);
          lane.running++;
          const p = this.run(d).finally(() => {
            this.running.delete(p);
            lane.running--;
            this.pump();
          });
          this.running.add(p);
        }
      }
    } finally {
      this.pumping = false;
    }
    this.arm();
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.store.nextDueAt();
    if (next === undefined) return;
    // A due delivery whose lane is full is started when the lane frees, not by the timer.
    const at = Math.max(next, this.now() + 5);
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => { this.timer = undefined; this.timerAt = Infinity; this.pump(); }, at - this.now());
    this.timer.unref?.();
  }

  private async run(d: ClaimedDelivery): Promise<void> {
    const startedAt = this.now();
    const attempt = d.attempts + 1;
    let result: DeliveryResult;
    let log: string[] = [];
    try {
      ({ result, log } = await this.handler({
        deliveryId: d.id, eventId: d.eventId, routeName: d.route, actionName: d.action, event: d.event, message: d.message,
        hops: d.hops, enqueuedAt: d.createdAt, attempt,
      }, this.shutdown.signal));
    } catch (e) {
      result = { ok: false, detail: `action failed: ${(e as Error).message ?? String(e)}` };
    }
    const finishedAt = this.now();
    if (!result.ok && this.shutdown.signal.aborted) {
      // Cut short by shutdown: not the action's fault, the next start runs it again.
      this.store.requeue(d.id, finishedAt);
      return;
    }
    const policy = this.policy(d.action);
    const retry = !result.ok && result.retryable !== false && attempt <= policy.retries;
    let enriched: { event: unknown; message?: RenderedMessage } | undefined;
    if (result.ok && d.kind === 'ReadAndWrite' && result.eventUpdate !== undefined) {
      const event = mergeEvent(d.event, result.eventUpdate);
      let message: RenderedMessage | undefined;
      try { message = this.opts.rerender?.(d, event); } catch (e) { log.push(`re-rendering the enriched event failed, later actions get the first message: ${(e as Error).message}`); }
      enriched = { event, ...(message ? { message } : {}) };
    }
    const detail = retry ? `${result.detail ?? 'failed'} (attempt ${attempt} of ${policy.retries + 1}, will retry)` : result.detail;
    const state = this.store.finishAttempt(d.id, {
      ok: result.ok, detail, log, startedAt, finishedAt,
      ...(retry ? { retryAt: finishedAt + retryDelayMs(attempt, policy, this.opts.random) } : {}),
      ...(enriched ? { enriched } : {}),
    });
    const record: DeliveryRecord = {
      deliveryId: d.id, eventId: d.eventId, routeName: d.route, actionName: d.action, ok: result.ok, state, attempt,
      ...(detail !== undefined ? { detail } : {}), ...(result.changed ? { changed: result.changed } : {}), log, startedAt, finishedAt,
    };
    this.opts.onRecord?.(record);
    const waiter = this.waiters.get(d.id);
    if (waiter) { this.waiters.delete(d.id); waiter(record); }
  }

  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const all = Promise.allSettled([...this.running]);
    const timer = setTimeout(() => this.shutdown.abort(new Error('server is shutting down')), graceMs);
    await all;
    clearTimeout(timer);
  }
}

// The seam between routing and delivery. The router hands over a whole
// event's plan (its routes, rendered messages and staged deliveries); the
// queue commits it to the durable store before anything is answered, then
// runs due deliveries on per-action lanes (a slow or failing action never
// holds up another), retries failures with backoff and dead-letters them.
// A ':memory:' database gives the same behaviour without a file.

import type { RenderedMessage, DeliveryResult } from '../actions/types.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../config/types.js';
import type { AttemptOutcome, ClaimedDelivery, DeliveryState, DeliveryStore, EventPlan } from '../store/delivery-store.js';
import { mergeEvent, retryDelayMs } from './delivery-plan.js';
import { RateLimiter } from './rate-limiter.js';
import { redactSecrets } from '../logging/redact.js';

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
   * Takes the plan (event, deliveries, dedup keys, aggregation items).
   * `committed` resolves once it is durably stored (plans arriving in the same
   * event-loop turn share one transaction); only then may the event be
   * acknowledged. `done` resolves with the outcome of each delivery's first
   * attempt (later retries continue in the background).
   */
  accept(plan: EventPlan): { committed: Promise<void>; done: Promise<DeliveryRecord[]> };
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

interface Lane { running: number; limiter?: RateLimiter }

/** A service's Retry-After is honoured up to this long. */
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Plans committed together at most (a burst larger than this is split). */
const MAX_BATCH = 256;

export class DeliveryScheduler implements DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();
  /** Actions that may have pending deliveries: the only ones the pump looks at. */
  private readonly pendingActions = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly waiters = new Map<string, (r: DeliveryRecord) => void>();
  private readonly finishing: Array<{ id: string; outcome: AttemptOutcome; resolve: (r: { state: DeliveryState; released: string[] }) => void; reject: (e: Error) => void }> = [];
  private readonly batch: Array<{ plan: EventPlan; resolve: () => void; reject: (e: Error) => void }> = [];
  private readonly shutdown = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  /** Earliest time a rate-limited lane may start its next attempt. */
  private rateWakeAt = Infinity;
  private closed = false;
  private pumping = false;
  private readonly now: () => number;

  constructor(private readonly store: DeliveryStore, private readonly handler: DeliveryHandler, private readonly opts: SchedulerOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** Resumes what a previous process left unfinished. */
  start(): { resumed: number } {
    const resumed = this.store.resetRunning(this.now());
    for (const a of this.store.pendingActions()) this.pendingActions.add(a);
    this.pump();
    return { resumed };
  }

  pending(): number {
    return this.store.openEvents();
  }

  accept(plan: EventPlan): { committed: Promise<void>; done: Promise<DeliveryRecord[]> } {
    if (this.closed) throw new Error('server is shutting down');
    const ids = plan.routes.flatMap((r) => r.deliveries.map((d) => d.id));
    const done = Promise.all(ids.map((id) => new Promise<DeliveryRecord>((resolve) => this.waiters.set(id, resolve))));
    const committed = new Promise<void>((resolve, reject) => this.batch.push({ plan, resolve, reject }));
    if (this.batch.length >= MAX_BATCH) this.flush();
    else if (this.batch.length === 1) setImmediate(() => this.flush());
    return { committed, done };
  }

  /** Commits the plans accepted so far in one transaction, then schedules their deliveries. */
  flush(): void {
    const batch = this.batch.splice(0);
    if (batch.length === 0) return;
    try {
      this.store.insertPlans(batch.map((b) => b.plan));
    } catch (e) {
      for (const b of batch) {
        for (const r of b.plan.routes) for (const d of r.deliveries) this.waiters.delete(d.id);
        b.reject(e as Error);
      }
      return;
    }
    for (const b of batch) for (const r of b.plan.routes) for (const d of r.deliveries) this.pendingActions.add(d.action);
    for (const b of batch) b.resolve();
    this.pump();
  }

  /** Wakes the scheduler (after an admin retry, for instance). */
  poke(): void {
    for (const a of this.store.pendingActions()) this.pendingActions.add(a);
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
      const now = this.now();
      // One transaction for every claim of this pass.
      this.store.inTransaction(() => this.claimAll(now));
    } finally {
      this.pumping = false;
    }
    this.arm();
  }

  private claimAll(now: number): void {
    this.rateWakeAt = Infinity;
    for (const action of [...this.pendingActions]) {
      const lane = this.lane(action);
      const policy = this.policy(action);
      let free = policy.concurrency - lane.running;
      if (free <= 0) continue;
      const limiter = this.limiter(lane, policy, now);
      if (limiter) {
        const allowed = limiter.available(now);
        if (allowed < free) {
          free = allowed;
          if (this.store.hasPending(action)) this.rateWakeAt = Math.min(this.rateWakeAt, limiter.nextAt(now));
        }
        if (free <= 0) continue;
      }
      const claimed = this.store.claimDue(action, now, free);
      limiter?.take(claimed.length, now);
      if (claimed.length < free && !this.store.hasPending(action)) this.pendingActions.delete(action);
      for (const d of claimed) {
        lane.running++;
        // A failure to record the outcome leaves the delivery running in the
        // database; the next start runs it again (at-least-once).
        const p = this.run(d).catch((e: Error) => process.stderr.write(`hooker: recording delivery ${d.id} failed: ${e.message}\n`)).finally(() => {
          this.running.delete(p);
          lane.running--;
          this.pump();
        });
        this.running.add(p);
      }
    }
  }

  /** The lane's rate limiter, following the current policy (a reload may change it). */
  private limiter(lane: Lane, policy: DeliveryPolicy, now: number): RateLimiter | undefined {
    const rl = policy.rateLimit;
    if (!rl) { lane.limiter = undefined; return undefined; }
    if (!lane.limiter || lane.limiter.limit.count !== rl.count || lane.limiter.limit.perMs !== rl.perMs) lane.limiter = new RateLimiter(rl, now);
    return lane.limiter;
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.store.nextDueAt();
    if (next === undefined) return;
    const now = this.now();
    // Deliveries already due wait for a full lane, which pumps when it frees;
    // the slow timer is only a safety net. Future retries get an exact timer,
    // and so does a rate-limited lane's next free slot.
    let at = next > now ? next : now + 1_000;
    if (this.rateWakeAt < at) at = Math.max(now + 1, this.rateWakeAt);
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => { this.timer = undefined; this.timerAt = Infinity; this.pump(); }, at - now);
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
      this.pendingActions.add(d.action);
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
    // Records are shown by /deliveries, /tenant and the logs: secrets in URLs never reach them.
    log = log.map(redactSecrets);
    const shown = result.detail === undefined ? undefined : redactSecrets(result.detail);
    const detail = retry ? `${shown ?? 'failed'} (attempt ${attempt} of ${policy.retries + 1}, will retry)` : shown;
    const { state, released } = await this.finish(d.id, {
      ok: result.ok, detail, log, startedAt, finishedAt,
      ...(retry ? { retryAt: finishedAt + Math.max(retryDelayMs(attempt, policy, this.opts.random), Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)) } : {}),
      ...(enriched ? { enriched } : {}),
    });
    if (state === 'pending') this.pendingActions.add(d.action);
    for (const a of released) this.pendingActions.add(a);
    const record: DeliveryRecord = {
      deliveryId: d.id, eventId: d.eventId, routeName: d.route, actionName: d.action, ok: result.ok, state, attempt,
      ...(detail !== undefined ? { detail } : {}), ...(result.changed ? { changed: result.changed } : {}), log, startedAt, finishedAt,
    };
    this.opts.onRecord?.(record);
    const waiter = this.waiters.get(d.id);
    if (waiter) { this.waiters.delete(d.id); waiter(record); }
  }

  /**
   * Attempts finishing in the same event-loop turn are recorded in one
   * transaction. A crash before that commit only means the delivery runs
   * again: at-least-once, never lost.
   */
  private finish(id: string, outcome: AttemptOutcome): Promise<{ state: DeliveryState; released: string[] }> {
    return new Promise((resolve, reject) => {
      this.finishing.push({ id, outcome, resolve, reject });
      if (this.finishing.length === 1) setImmediate(() => this.flushFinishes());
    });
  }

  private flushFinishes(): void {
    const items = this.finishing.splice(0);
    let results: Array<{ state: DeliveryState; released: string[] }>;
    try {
      results = this.store.inTransaction(() => items.map((i) => this.store.finishAttempt(i.id, i.outcome)));
    } catch (e) {
      for (const i of items) i.reject(e as Error);
      return;
    }
    items.forEach((i, n) => i.resolve(results[n]!));
  }

  async close(graceMs = 5_000): Promise<void> {
    // Plans accepted but not yet committed are committed: their senders get their 202.
    this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    const all = Promise.allSettled([...this.running]);
    const timer = setTimeout(() => this.shutdown.abort(new Error('server is shutting down')), graceMs);
    await all;
    clearTimeout(timer);
  }
}

// The seam between routing and delivery. The router hands over a whole
// event's plan (its routes, rendered messages and staged deliveries); the
// queue commits it to the durable store before anything is answered, then
// claims due deliveries with a lease and runs them on per-action lanes (a
// slow or failing action never holds up another), retries failures with
// backoff and dead-letters them. Several replicas may share one store: a
// claim is a lease, so a replica that dies leaves work that another one
// claims again once the lease expires, with the same delivery id.
//
// Per delivery the store sees a fraction of a transaction (issue 12): a lane
// claims a batch ahead of what it runs (one claim transaction for many
// deliveries, the claimed ones wait leased in the lane), a lane slot frees as
// soon as the action answered (its outcome is recorded behind it), and the
// outcomes of one event-loop turn are recorded in one transaction.

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { RenderedMessage, DeliveryResult } from '../actions/types.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from '../config/types.js';
import type { AttemptOutcome, ClaimedDelivery, DeliveryRows, DeliveryState, FinishResult, PlanCommit } from '../store/types.js';
import type { ActionKind, EventPlan, LazyEvent, PlannedDelivery, PlannedRoute } from './plan.js';
import { eventSource, mergeEvent } from './plan.js';
import { MAX_RETRY_AFTER_MS, retryDelayMs } from './backoff.js';
import type { DeliveryHandler, DeliveryJob } from './action-runner.js';
import { RateLimiter } from './rate-limiter.js';
import { Fifo } from './fifo.js';
import { ChurnMap, ChurnSet } from '../churn-map.js';
import { nextTurn, SLICE_MS, SliceBudget, timed } from './slice-budget.js';
import { RecentMemo } from '../recent-memo.js';
import { redactSecrets } from '../logging/redact.js';

export type { DeliveryJob, DeliveryHandler } from './action-runner.js';

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

export interface DeliveryQueue {
  /**
   * Takes the plan (event, deliveries, dedup keys, aggregation items).
   * `committed` resolves once it is durably stored (plans arriving in the same
   * event-loop turn share one transaction), saying which routes were refused
   * as duplicates; only then may the event be acknowledged. `done` resolves
   * with the outcome of each delivery's first attempt run by this process
   * (later retries continue in the background).
   */
  accept(plan: EventPlan, opts?: AcceptOptions): { committed: Promise<PlanCommit>; done: Promise<DeliveryRecord[]> };
  /** Events with unfinished deliveries (the inbox), as last counted. */
  pending(): number;
  /** Stops taking work, waits up to `graceMs` for running deliveries, then aborts them and leaves them stored. */
  close(graceMs?: number): Promise<void>;
}

export interface AcceptOptions {
  /**
   * false: nobody waits for this event's first attempts, so none are
   * tracked and `done` resolves at once with no records (their outcomes still
   * reach `onRecord`). Tracking costs every event a waiter, a promise and an
   * entry per delivery until its deliveries ran, which under a backlog stay
   * in memory until their deliveries are claimed (issue 12: held ingest, the
   * waiter map's growth and the collector were 5-8 % of an event's CPU).
   */
  firstAttempts?: boolean;
}

/** `done` of an event whose first attempts nobody waits for (AcceptOptions.firstAttempts false). */
const NOT_TRACKED: Promise<DeliveryRecord[]> = Promise.resolve([]);

export interface SchedulerOptions {
  policyOf?: (action: string) => DeliveryPolicy | undefined;
  /** Re-renders a route's message for an event enriched by a ReadAndWrite action. */
  rerender?: (d: ClaimedDelivery, event: unknown) => RenderedMessage | undefined;
  onRecord?: (record: DeliveryRecord) => void;
  /** The store failed or came back (deliveries pause meanwhile). */
  onStoreError?: (error: Error | undefined) => void;
  random?: () => number;
  now?: () => number;
  /** How long a claim is held without renewal; a replica that dies frees its work after this. */
  leaseMs?: number;
  /**
   * Longest wait between two looks at the store when nothing is known to be
   * due: other replicas' work arrives by `wake()` (LISTEN/NOTIFY); this poll
   * is the fallback when a notification is missed.
   */
  pollMs?: number;
  /** This replica's name in claimed_by. */
  owner?: string;
  /**
   * Deliveries the action takes beyond its concurrency and queues itself
   * (Action.queueAhead): its lane runs that many more at once, unless it is
   * rate-limited (a rate limit counts starts, and a queued delivery starts
   * later than it was handed over).
   */
  queueAheadOf?: (action: string) => number | undefined;
  /**
   * Fresh deliveries a lane may hold in memory beyond its room (its slots
   * plus claimAhead) while it has no stored backlog (holdFresh); 0 by
   * default. Past its room a lane stored every fresh delivery unleased and
   * claimed it back, and under sustained load it never left that mode: the
   * backlog, bounded by admission, stayed larger than the room, and with the
   * SQLite writer thread each claim waited its turn behind the commits and
   * finishes, so the lane ran dry between claims (issue 12: 6,000-7,000
   * deliveries/s, inbox at its high water, against 9,000/s flat when held;
   * BENCHMARKS.md "session 13: loop"). Held deliveries are stored leased to
   * this process, like those in the room: a crash leaves them to the next
   * start. Not for a store shared by replicas (PostgreSQL): another replica
   * could not take work leased here.
   */
  holdAhead?: number;
  /**
   * The text of the events held past their lanes' rooms (holdAhead), in
   * characters, at most: each such delivery counts its event's JSON text
   * (an event's parsed object takes a few times its text, shared by its
   * deliveries: the count is a bound of the right size, not an exact
   * figure). A count of deliveries alone held up to holdAhead events of any
   * size: 12,288 deliveries of 10 MiB events (HOOKER_MAX_BODY) would be
   * 120 GiB. Past it fresh deliveries are stored and claimed, as past
   * holdAhead. Unbounded when not given.
   */
  holdAheadChars?: number;
}

interface Lane {
  limiter?: RateLimiter;
  /** Claimed (leased) or held, not started yet, oldest first (thousands with holdAhead: fifo.ts). */
  ready: Fifo<ClaimedDelivery>;
  /**
   * Handed to the action and not answered yet (at most its slots: the
   * policy's concurrency plus what the action queues itself), in the order
   * they were handed: an action that queues by itself sends them in that
   * order, so past the first `concurrency` of them they wait in its queue
   * (oldestWaitingAt). A ChurnSet: every delivery passes through it
   * (src/churn-map.ts).
   */
  handed: ChurnSet<ClaimedDelivery>;
  /**
   * First-stage deliveries of the action that this process committed
   * unleased (its lane had no room, or older ones waited in the store) and
   * that no claim has taken yet: the stored backlog it knows of, counted
   * down by what its claims take (see leaveClaimMode).
   */
  stored: number;
}

/**
 * A turn's flush waits one turn more for fewer plans than this while the last
 * flush took at least as many (flushSoon), however many commits its slices
 * made (on a loaded machine the commit slice shrinks to 8: ingest is no
 * slower for it).
 */
const COALESCE_PLANS = 16;
/** What a plan without its event's text counts against holdAheadChars (routing always gives the text). */
const UNKNOWN_TEXT_CHARS = 64 * 1024;
/**
 * ... and only while plans arrive at least this fast (per second, over the
 * last RATE_WINDOW_MS or more): twice the rate at which the 202's latency is
 * judged (issue 12, target 2b), below every held-ingest round measured.
 */
const COALESCE_RATE = 2_000;
const RATE_WINDOW_MS = 100;
/** Plans committed together at most (a burst larger than this is split). */
const MAX_BATCH = 256;
/**
 * With commits in flight (the store's commitsInFlight > 1), a flush of at
 * least twice this many plans while another chain may start is split in two
 * commits posted together: the thread commits the second while the event
 * loop answers the first one's senders, whose next events then form a batch
 * of their own. Without it the senders of a closed loop stay in one group:
 * the event loop idles through each commit's round trip and the thread
 * through the group's parsing (issue 12, held ingest in thread mode:
 * scratch closed loop of 32 senders, 120 µs of work each, 5,170-5,626
 * events/s with one commit at a time, 6,213-7,376 split, 5,449-6,086 with
 * SQLite on the event loop; BENCHMARKS.md session 12 "writer").
 */
const COMMIT_SPLIT_PLANS = 8;
/**
 * A lane claims up to this many deliveries beyond its free slots, so one
 * claim transaction serves many deliveries; it claims again once fewer than
 * half of them are left. Rate-limited lanes claim only what they may start.
 * At least 128 (was 32): a claim transaction's cost per delivery falls with
 * its size; draining a SQLite backlog, 32 → 128 took the store calls per
 * 15,000 deliveries from ~1,270 to ~440 and the CPU per delivery −23 % (issue 12).
 */
export function claimAhead(slots: number): number {
  return Math.min(256, Math.max(128, 2 * slots));
}

/** Deliveries a lane may still take on (run or hold claimed ahead): its slots plus claimAhead, less what it has. */
function roomAhead(slots: number, lane: Lane | undefined): number {
  return slots + claimAhead(slots) - (lane ? lane.handed.size + lane.ready.length : 0);
}
/**
 * Outcomes recorded together: those arriving within this window, or as soon
 * as FINISH_BATCH are waiting, at most MAX_FINISH_BATCH. A finish
 * transaction costs about 100 µs plus 13 µs per outcome on SQLite (its
 * commit writes the pages it touched whatever their count), so 8 outcomes
 * cost 29 µs each and 64 cost 15 (issue 12); nothing waits on the record but
 * `done`, the inbox count and a released stage or retry (the lane's slot
 * freed when the action answered). FINISH_BATCH is more than the window
 * gathers below 12,800 outcomes/s: at 9,000/s the window's ~90 outcomes go
 * as one finish instead of 64 and a rest (session 15: finishes of 96 cost
 * up to 1.5 µs per outcome less than of 64 in the SQLite store loop).
 */
const FINISH_WINDOW_MS = 10;
const FINISH_BATCH = 128;
const MAX_FINISH_BATCH = 512;
/** A safety-net look at the store while work is known due and lanes are full. */
const SAFETY_NET_MS = 1_000;
/** While the store fails, look again this often. */
const STORE_RETRY_MS = 500;
/** `done` waiters of deliveries another replica ran are dropped after this. */
const WAITER_TTL_MS = 10 * 60_000;

/**
 * The first attempts of one event's deliveries, kept in the order of `ids`;
 * `resolve` once every one has its record. One per event, shared by its
 * deliveries' entries in `waiters` (a promise per delivery and a
 * Promise.all per event cost 3 % of an accepted event's CPU, issue 12).
 */
interface Waiter { ids: readonly string[]; records: DeliveryRecord[]; left: number; resolve: (r: DeliveryRecord[]) => void; at: number }

/** A promise and its settle functions (Promise.withResolvers, which Node 20 lacks), made outside the caller's scope. */
interface Settleable<T> { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void }
function settleable<T>(): Settleable<T> {
  const s = {} as Settleable<T>;
  s.promise = new Promise<T>((resolve, reject) => { s.resolve = resolve; s.reject = reject; });
  return s;
}
const ignore = (): void => {};

/**
 * redactSecrets of the texts met last: an action's log lines and details
 * are mostly the same few texts delivery after delivery (the http action's,
 * for a URL without references, the same string objects), and three regular
 * expressions over each of them per delivery were ~1 % of the sustained
 * phase's event loop (issue 12). Equal texts redact alike, whoever made them.
 */
const redactions = new RecentMemo(8, redactSecrets);
const redacted = (text: string): string => redactions.get(text);

/** The lines redacted, the same array when none changed. */
function redactLines(lines: string[]): string[] {
  for (let i = 0; i < lines.length; i++) {
    const r = redacted(lines[i]!);
    if (r !== lines[i]) return lines.map(redacted);
  }
  return lines;
}

/**
 * One attempt's job. Its `event` is read from the claimed delivery when the
 * action reads it (a claimed row's event is parsed only then: claimedOf), a
 * getter on the class: an object literal's getter is made anew, through the
 * runtime, for every object (issue 12).
 */
class Job implements DeliveryJob {
  readonly deliveryId: string; readonly eventId: string; routeName: string; readonly actionName: string;
  readonly eventText?: string; readonly message: RenderedMessage; readonly hops: number; readonly enqueuedAt: number;
  constructor(private readonly d: ClaimedDelivery, readonly attempt: number) {
    this.deliveryId = d.id; this.eventId = d.eventId; this.routeName = d.route; this.actionName = d.action;
    if (d.eventText !== undefined) this.eventText = d.eventText;
    this.message = d.message; this.hops = d.hops; this.enqueuedAt = d.createdAt;
  }
  get event(): unknown { return this.d.event; }
}

/**
 * A delivery started from memory after its commit. It keeps what it runs
 * with, not its plan (the routes, their deliveries, the dedup and
 * aggregation lists): under a backlog it waits seconds, and what it keeps is
 * copied and promoted by the young-generation collector (issue 12,
 * BENCHMARKS.md "session 14: tail"). Its `event` reads a deferred plan's
 * LazyEvent when an action reads it (a getter on the class: a deferred plan
 * parses its event only then, and an http action sending the stored text
 * never does; eventSource), else the plan's event; the object is made field by field
 * instead of a literal with spreads.
 */
class HeldDelivery implements ClaimedDelivery {
  readonly id: string; readonly eventId: string; readonly route: string; readonly action: string; readonly stage: number;
  readonly kind: ActionKind; readonly attempts = 0; readonly template?: string; readonly message: RenderedMessage;
  readonly eventText?: string; readonly hops: number; readonly createdAt: number; readonly dueAt: number;
  private readonly source: LazyEvent;
  constructor(plan: EventPlan, r: PlannedRoute, d: PlannedDelivery) {
    this.id = d.id; this.eventId = plan.eventId; this.route = r.route; this.action = d.action; this.stage = d.stage; this.kind = d.kind;
    if (r.template) this.template = r.template;
    this.message = r.message;
    if (plan.eventText !== undefined) this.eventText = plan.eventText;
    this.hops = plan.hops; this.createdAt = plan.receivedAt; this.dueAt = plan.receivedAt;
    this.source = eventSource(plan);
  }
  get event(): unknown { return this.source.get(); }
}

/** A plan accepted and not committed yet, with the promises its caller holds (`done` only when its first attempts are tracked). */
interface Pending { plan: EventPlan; committed: Settleable<PlanCommit>; done?: Settleable<DeliveryRecord[]> }

/**
 * A route's deliveries of its first stage (the ones a commit starts), in plan
 * order: the route's own array when they all are (one stage, as most routes
 * have), so nothing is made. Not a generator: its objects and its
 * iterator's results were ~7 % of the event loop's allocation in the
 * sustained phase (issue 12).
 */
function firstStage(r: PlannedRoute): PlannedDelivery[] {
  const ds = r.deliveries;
  let first = Infinity;
  let mixed = false;
  for (let i = 0; i < ds.length; i++) {
    const stage = ds[i]!.stage;
    if (i > 0 && stage !== first) mixed = true;
    if (stage < first) first = stage;
  }
  return mixed ? ds.filter((d) => d.stage === first) : ds;
}

export class DeliveryScheduler implements DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();
  /**
   * Actions that may have pending deliveries (the only ones the pump looks
   * at), each with a mark that changes whenever new work for it is known: a
   * claim that comes back short only drops the action if no work arrived
   * while it was querying.
   */
  private readonly pendingActions = new Map<string, number>();
  private marks = 0;
  /**
   * Pending actions marked for work this process did not count in its
   * lane's `stored` since they last left claim mode: a start's backlog, a
   * retry, a released stage, the timer's or another replica's poke. Their
   * stored work is of unknown size, so only a claim that comes back short
   * ends their claim mode.
   */
  private readonly uncounted = new Set<string>();
  /**
   * Actions a poke named while their lanes took fresh deliveries in memory:
   * the store names every action with pending rows, this process's own
   * leased ones included, so the next claim pass claims for them at once to
   * find out, and only a claim that comes back full puts the lane in claim
   * mode. Marking them pending at the poke stored every fresh delivery from
   * then on, and under load the probe's claim never came back short while
   * they arrived: the safety net's poke, once a second, put a lane that
   * kept up back in claim mode for good (issue 12, BENCHMARKS.md "session
   * 13: loop"). What a probe finds is work nobody announced (a retry whose
   * time came, another replica's): no fresh delivery was ordered after it.
   */
  private readonly probing = new Set<string>();
  // ChurnMaps: every delivery passes through these long-lived tables, and a
  // Map's rebuilt tables kept each one's graph (its promise and frame, the
  // event's text) promoted until a mark-compact (src/churn-map.ts).
  private readonly running = new ChurnMap<string, Promise<unknown>>();
  private readonly waiters = new ChurnMap<string, Waiter>();
  private finishTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly finishing: Array<{ id: string; outcome: AttemptOutcome; resolve: (r: FinishResult | undefined) => void }> = [];
  private batch: Pending[] = [];
  private readonly shutdown = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private renewTimer: ReturnType<typeof setInterval> | undefined;
  /** Earliest time a rate-limited lane may start its next attempt. */
  private rateWakeAt = Infinity;
  private closed = false;
  /**
   * The time the last pump's claim passes looked for due work: its first
   * pass's (each pass claims what was due at its start). A row due by then
   * and still unclaimed waits for a full lane, which pumps when it frees.
   */
  private claimedAt = 0;
  private pumping = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private again = false;
  /**
   * Whether the next arm() must ask the store when work becomes due: set when
   * a claim came back short (an action went idle, its next delivery may be a
   * future retry) and after a store failure; while every lane with known work
   * is busy the store is not asked (the ask scans the pending deliveries).
   */
  private askNextDue = true;
  private storeDown = false;
  private inbox = 0;
  /** Events that entered the inbox through this scheduler since start (admission measures how fast they leave). */
  private entered = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  /** Items per commit, claim and finish transaction: what fits in SLICE_MS of blocked event loop. */
  private readonly commitSlice = new SliceBudget(SLICE_MS, 8, MAX_BATCH);
  private readonly claimSlice = new SliceBudget(SLICE_MS, 8, 1_024);
  private readonly finishSlice = new SliceBudget(SLICE_MS, 16, MAX_FINISH_BATCH);
  readonly owner: string;
  readonly leaseMs: number;

  constructor(private readonly store: DeliveryRows, private readonly handler: DeliveryHandler, private readonly opts: SchedulerOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.owner = opts.owner ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.holdAhead = opts.holdAhead ?? 0;
    this.holdAheadChars = opts.holdAheadChars ?? Infinity;
  }
  private readonly holdAhead: number;
  private readonly holdAheadChars: number;
  /** What the deliveries held past their rooms count against holdAheadChars (their sum is aheadChars), until each starts. */
  private readonly aheadCharges = new ChurnMap<string, number>();
  private aheadChars = 0;

  /** A delivery held past its lane's room started, was not committed, or was given back: its event's text no longer counts. */
  private uncharge(id: string): void {
    if (this.aheadCharges.size === 0) return;
    const c = this.aheadCharges.get(id);
    if (c === undefined) return;
    this.aheadCharges.delete(id);
    this.aheadChars -= c;
  }

  /** Resumes what a previous process left unfinished. */
  async start(): Promise<{ resumed: number }> {
    const resumed = await this.store.resumeAtStart(this.now());
    for (const a of await this.store.pendingActions()) this.markPending(a);
    this.inbox = await this.store.openEvents();
    // Leases of running deliveries are renewed well before they expire.
    this.renewTimer = setInterval(() => void this.renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref?.();
    this.pump();
    return { resumed };
  }

  pending(): number {
    return this.inbox;
  }

  /** The inbox now and the events that entered it since start: what backpressure's admission measures. */
  inboxCounts(): { open: number; entered: number } {
    return { open: this.inbox, entered: this.entered };
  }

  /**
   * Due time of the action's oldest delivery that is not running: unclaimed
   * in the store, claimed ahead by this replica and waiting for a slot, or
   * handed to an action that queues by itself and waiting in its queue for a
   * connection (the delivery lag that backpressure watches: with deliveries
   * queued in the action counted as running, a slow target's lag would read
   * up to its queue's length of round trips low).
   */
  async oldestWaitingAt(action: string): Promise<number | undefined> {
    const stored = await this.store.oldestPendingAt(action, this.now());
    const lane = this.lanes.get(action);
    const next = lane?.ready.first();
    let held = next ? (next.dueAt ?? next.createdAt) : undefined;
    const concurrency = this.policy(action).concurrency;
    if (lane && lane.handed.size > concurrency) {
      // The first `concurrency` handed are on the wire (all connections are busy while some wait); the next one waits longest.
      let n = 0;
      for (const d of lane.handed) {
        if (n++ < concurrency) continue;
        const at = d.dueAt ?? d.createdAt;
        held = held === undefined ? at : Math.min(held, at);
        break;
      }
    }
    return stored === undefined ? held : held === undefined ? stored : Math.min(stored, held);
  }

  accept(plan: EventPlan, opts?: AcceptOptions): { committed: Promise<PlanCommit>; done: Promise<DeliveryRecord[]> } {
    if (this.closed) throw new Error('server is shutting down');
    // No closure made here may see `plan`: `done` stays pending until the
    // event's deliveries have run, and a reaction made in this scope kept
    // the whole plan (the parsed event, its text and messages) alive that
    // long, though its deliveries wait in the store and a claim reads them
    // again. Alive past two scavenges, each waiting event was copied and
    // promoted by the young-generation collector (issue 12, see BENCHMARKS.md).
    const done = opts?.firstAttempts === false ? undefined : settleable<DeliveryRecord[]>();
    const item: Pending = { plan, committed: settleable(), done };
    this.acceptedSince++;
    this.batch.push(item);
    if (this.batch.length >= MAX_BATCH) this.flush();
    else if (this.batch.length === 1) setImmediate(this.flushSoon);
    if (!done) return { committed: item.committed.promise, done: NOT_TRACKED };
    // Callers that only await `committed` must not see an unhandled rejection here.
    done.promise.catch(ignore);
    return { committed: item.committed.promise, done: done.promise };
  }

  /**
   * The flush of a turn's plans, in the check phase after the poll that read
   * them. While ingest runs fast (the last flush took COALESCE_PLANS or
   * more, and plans arrive at COALESCE_RATE or faster: see arrivalRate) and
   * this turn brought fewer, it waits one turn more so the plans
   * of the next poll go in the same commit: a commit's cost per plan falls
   * with its size up to a few dozen plans (held ingest, 32 senders: 204 µs
   * per plan in commits of 8 or fewer, 91 in 9-16, 72 in 17+), and senders
   * that trickle in split the batches. One turn at most; at moderate rates
   * (a few plans per turn) nothing waits.
   */
  private readonly flushSoon = (): void => {
    if (!this.coalesced && this.batch.length < COALESCE_PLANS && this.lastFlushPlans >= COALESCE_PLANS && this.arrivalRate() >= COALESCE_RATE) {
      this.coalesced = true;
      setImmediate(this.flushSoon);
      return;
    }
    this.coalesced = false;
    void this.flush();
  };
  private coalesced = false;
  /** Plans accepted since `rateFrom`, and the rate (per second) of the last window that closed (arrivalRate). */
  private acceptedSince = 0;
  private rateFrom = 0;
  private lastRate = 0;

  /**
   * Plans accepted per second over the last window of RATE_WINDOW_MS or
   * more. The size of the last commit alone said "ingest runs fast" after
   * any long turn: at an offered 1,000 events/s one long turn (a scavenge, a
   * claim) made a commit of 16+ plans, the next turn's flush waited one turn
   * more, which made that commit large again, and so on: 11-15 % of the
   * 202s waited a whole extra turn (4-6 ms on average against 0.5 ms for
   * the others), most of the 202s whose commit started over 5 ms after
   * their plan (issue 12, BENCHMARKS.md "session 10: turns").
   */
  private arrivalRate(): number {
    const now = this.now();
    const elapsed = now - this.rateFrom;
    if (elapsed >= RATE_WINDOW_MS) {
      this.lastRate = (this.acceptedSince * 1000) / elapsed;
      this.rateFrom = now;
      this.acceptedSince = 0;
    }
    return this.lastRate;
  }
  /** Plans waiting when the last flush started (see COALESCE_PLANS). */
  private lastFlushPlans = 0;

  /**
   * Commits the plans accepted so far (one transaction per slice of them,
   * see slice-budget.ts), then schedules their deliveries.
   *
   * One commit at a time, in order; each takes every plan accepted by the
   * time it starts (up to the slice). With a store that answers later (the
   * SQLite writer thread) a commit made each turn of the plans of that turn
   * queued behind the one in flight: at an offered 1,000 events/s a commit
   * carried 1-2 plans and waited a round trip of each before it, fewer
   * events than arrived were committed per second, and 202s waited 200-500
   * ms before their commit even started (issue 12). Now the plans that
   * arrive during a commit go together in the next one. A store whose
   * commits run back to back in call order and answer in that order (the
   * SQLite writer thread: commitsInFlight 2) takes a second commit while
   * the first is on its round trip, so the thread does not wait for the
   * event loop's next turn between them (see COMMIT_SPLIT_PLANS).
   */
  flush(): Promise<void> {
    const limit = this.store.commitsInFlight ?? 1;
    if (this.batch.length === 0 || this.chainCount >= limit) return this.flushing;
    this.chainCount++;
    const chain: { done?: Promise<void> } = {};
    chain.done = (async () => {
      try {
        this.lastFlushPlans = this.batch.length;
        for (let first = true; this.batch.length; first = false) {
          if (!first) await nextTurn();
          // Another chain (commitsInFlight > 1) may have taken them meanwhile.
          if (this.batch.length === 0) break;
          let take = Math.min(this.commitSlice.size(), this.batch.length);
          if (limit > 1 && this.chainCount < limit && take >= 2 * COMMIT_SPLIT_PLANS) take = Math.ceil(take / 2);
          const committed = this.commit(this.batch.splice(0, take));
          // What is left goes at once as another commit in flight (COMMIT_SPLIT_PLANS).
          if (this.batch.length && this.chainCount < limit) {
            const last = this.lastFlushPlans;
            void this.flush();
            this.lastFlushPlans = last; // the flush's size is what coalescing judges, not its second half's
          }
          await committed;
        }
      } finally {
        this.chainCount--;
        this.chains = this.chains.filter((c) => c !== chain.done);
      }
    })();
    this.chains = [...this.chains, chain.done];
    this.flushing = Promise.all(this.chains).then(ignore);
    return this.flushing;
  }
  private chainCount = 0;
  /**
   * Commits in flight (commitsInFlight of them at most): a fresh array at each
   * change, not a Set, whose table would outlive its entries (see running).
   */
  private chains: Array<Promise<void>> = [];
  /**
   * First-stage deliveries of commits in flight, per action: held in memory
   * (holdFresh counted them against the lane's room, they reach its ready
   * list when their commit answers) or stored unleased (a later commit must
   * not hand fresh ones over ahead of them). Empty with one commit at a time.
   */
  private readonly heldInFlight = new Map<string, number>();
  private readonly storedInFlight = new Map<string, number>();

  private async commit(batch: typeof this.batch): Promise<void> {
    let commits: PlanCommit[];
    const plans = batch.map((b) => b.plan);
    const now = this.now();
    const held = this.holdFresh(plans);
    const inFlight = (this.store.commitsInFlight ?? 1) > 1 ? this.countInFlight(plans, held, 1) : undefined;
    try {
      commits = await timed(this.commitSlice, batch.length, () => this.store.insertPlans(plans,
        held.size ? { lease: { owner: this.owner, until: now + this.leaseMs }, ids: held } : undefined));
    } catch (e) {
      if (inFlight) this.countInFlight(plans, held, -1);
      for (const id of held) this.uncharge(id);
      for (const b of batch) { b.committed.reject(e as Error); b.done?.reject(e as Error); }
      return;
    }
    if (inFlight) this.countInFlight(plans, held, -1);
    const started = new Set<string>();
    batch.forEach((b, n) => {
      const c = commits[n]!;
      const ids = c.deliveries;
      if (ids.length && b.done) {
        const w: Waiter = { ids, records: new Array<DeliveryRecord>(ids.length), left: ids.length, resolve: b.done.resolve, at: now };
        for (const id of ids) this.waiters.set(id, w);
      }
      if (c.deliveries.length) { this.inbox++; this.entered++; }
      const { plan } = b;
      for (const r of plan.routes) {
        // Only the first stage starts now (holdFresh held none other): a later stage waits unclaimable until the first
        // one finished (its release marks the action then).
        const first = firstStage(r);
        if (c.duplicates.includes(r.route)) {
          for (const d of first) this.uncharge(d.id);
          continue;
        }
        for (const d of first) {
          if (!held.has(d.id)) {
            // Stored due now, to be claimed: counted, so the lane knows when its claims have caught up.
            this.lane(d.action).stored++;
            this.markPending(d.action, true);
            continue;
          }
          this.lane(d.action).ready.push(new HeldDelivery(plan, r, d));
          started.add(d.action);
        }
      }
    });
    for (const [n, b] of batch.entries()) {
      b.committed.resolve(commits[n]!);
      if (commits[n]!.deliveries.length === 0) b.done?.resolve([]);
    }
    // The senders' 202s first: `committed`'s reactions (the ingest handler's
    // continuation, which writes the 202) run in this microtask drain, and a
    // tick queued from it runs once the drain is done. Started here, the
    // commit's deliveries (each request written to its socket) and the pump
    // (a claim or the store's next due time) ran before every 202 of the
    // commit (issue 12, target 2b).
    process.nextTick(this.startCommitted, started);
  }

  /** Starts what a commit handed its lanes, and pumps (see commit). */
  private readonly startCommitted = (started: Set<string>): void => {
    for (const action of started) this.startReady(action, this.lane(action), this.now());
    if (this.pumpWanted()) this.pump();
  };

  /**
   * Whether a pump could do anything now: claim for an action in claim mode
   * (pendingActions) or being probed, ask the store when work is due
   * (askNextDue, also set when the store failed), wake a rate-limited lane
   * for its next slot (rateWakeAt), or set the safety net's (or the poll's)
   * timer sooner than the one set (arm: a retry's far timer gives way to the
   * safety net's second while deliveries run, as it did with a pump per
   * delivery). Otherwise it would only start lanes' ready deliveries, which
   * whoever readied them started already, and walk an empty loop: while
   * every delivery is handed over in memory (no stored backlog) that was a
   * pump per commit and per answered delivery, ~3 per event at an offered
   * 1,000 events/s, each three async calls and a Set (~8 % of the event
   * loop's allocations, issue 12 target 2b).
   */
  private pumpWanted(): boolean {
    return this.pendingActions.size > 0 || this.probing.size > 0 || this.askNextDue || this.rateWakeAt !== Infinity
      || this.timerAt > this.now() + Math.min(SAFETY_NET_MS, this.opts.pollMs ?? Infinity);
  }

  /** Adds (`sign` 1) or removes (-1) a commit's first-stage deliveries to the in-flight counts (see heldInFlight). */
  private countInFlight(plans: EventPlan[], held: Set<string>, sign: 1 | -1): true {
    for (const plan of plans) {
      for (const r of plan.routes) {
        for (const d of firstStage(r)) {
          const counts = held.has(d.id) ? this.heldInFlight : this.storedInFlight;
          const n = (counts.get(d.action) ?? 0) + sign;
          if (n === 0) counts.delete(d.action); else counts.set(d.action, n);
        }
      }
    }
    return true;
  }

  /**
   * The first-stage deliveries of freshly accepted plans that this process
   * runs itself, handed to their lanes in memory after the commit instead of
   * being read back by a claim (issue 12): they are stored leased to this
   * replica, so a crash leaves them to the next start (SQLite) or to another
   * replica once the lease expires (PostgreSQL), with the same ids. Only as
   * many as the lane would claim ahead plus SchedulerOptions.holdAhead, and
   * only for an action with no stored backlog known (those are claimed
   * oldest first) and no rate limit.
   */
  private holdFresh(plans: EventPlan[]): Set<string> {
    const held = new Set<string>();
    if (this.closed) return held;
    const room = new Map<string, number>();
    for (const plan of plans) {
      for (const r of plan.routes) for (const d of firstStage(r)) {
        let left = room.get(d.action);
        if (left === undefined) {
          const policy = this.policy(d.action);
          left = this.pendingActions.has(d.action) || policy.rateLimit || this.storedInFlight.has(d.action)
            ? 0 : roomAhead(this.slots(d.action, policy), this.lanes.get(d.action)) - (this.heldInFlight.get(d.action) ?? 0) + this.holdAhead;
        }
        if (left > 0 && left <= this.holdAhead) {
          // Past the lane's room: held only while the held events' text stays within holdAheadChars. Once one is
          // not, the action's later deliveries are stored too (none may be handed over ahead of a stored one).
          const chars = plan.eventText?.length ?? UNKNOWN_TEXT_CHARS;
          if (this.aheadChars + chars > this.holdAheadChars) left = 0;
          else { this.aheadChars += chars; this.aheadCharges.set(d.id, chars); }
        }
        if (left > 0) { held.add(d.id); left--; }
        room.set(d.action, left);
      }
    }
    return held;
  }

  /** Wakes the scheduler (after an admin retry, or a notification that another replica made work due). */
  poke(): void {
    void this.store.pendingActions().then((actions) => {
      for (const a of actions) {
        if (this.pendingActions.has(a)) this.markPending(a);
        else this.probing.add(a);
      }
      this.pump();
    }, (e: Error) => this.storeFailed(e));
  }

  /** Another replica made work due (LISTEN/NOTIFY). */
  wake(): void {
    this.poke();
  }

  /** `counted`: work this process added to the lane's `stored` count (a commit); any other mark is of unknown size. */
  private markPending(action: string, counted = false): void {
    if (!counted) this.uncounted.add(action);
    this.pendingActions.set(action, ++this.marks);
  }

  /**
   * The action's stored work is claimed: fresh deliveries are handed to its
   * lane in memory again (holdFresh), after everything stored before them.
   */
  private leaveClaimMode(action: string, lane: Lane): void {
    this.pendingActions.delete(action);
    this.uncounted.delete(action);
    this.probing.delete(action);
    lane.stored = 0;
  }

  /**
   * Whether a claim now takes the whole stored backlog the lane knows of,
   * leaving claim mode (a lane waits until half its claimed-ahead are used
   * to claim many at once; this claim is its last one).
   */
  private catchUp(action: string, lane: Lane, room: number): boolean {
    return lane.stored > 0 && lane.stored <= room && !this.uncounted.has(action);
  }

  private policy(action: string): DeliveryPolicy {
    return this.opts.policyOf?.(action) ?? DEFAULT_DELIVERY_POLICY;
  }

  /**
   * Deliveries the lane hands its action at once: the concurrency, plus what
   * an action that queues by itself holds ready for its connections
   * (SchedulerOptions.queueAheadOf). The action keeps no more than the
   * concurrency in flight to its target.
   */
  private slots(action: string, policy: DeliveryPolicy): number {
    if (policy.rateLimit) return policy.concurrency;
    const ahead = this.opts.queueAheadOf?.(action);
    return ahead ? policy.concurrency + ahead : policy.concurrency;
  }

  private lane(action: string): Lane {
    let lane = this.lanes.get(action);
    if (!lane) { lane = { ready: new Fifo(), handed: new ChurnSet(), stored: 0 }; this.lanes.set(action, lane); }
    return lane;
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pumping) { this.again = true; return; }
    this.pumping = true;
    this.pumpDone = this.pumpLoop();
  }

  private async pumpLoop(): Promise<void> {
    try {
      // claimedAt is the first pass's time: a later pass (again) may skip an action the first one claimed, so
      // only what was due by the first pass's time was looked at for every action (see arm).
      this.claimedAt = this.now();
      for (let now = this.claimedAt; ; now = this.now()) {
        this.again = false;
        await this.claimAll(now);
        if (!this.again || this.closed) break;
      }
      if (this.storeDown) { this.storeDown = false; this.opts.onStoreError?.(undefined); }
      await this.arm();
    } catch (e) {
      this.storeFailed(e as Error);
    } finally {
      this.pumping = false;
    }
    if (this.again) this.pump();
  }

  /** The store failed: deliveries pause, and the pump looks again shortly. */
  private storeFailed(e: Error): void {
    this.askNextDue = true;
    if (!this.storeDown) { this.storeDown = true; this.opts.onStoreError?.(e); }
    if (this.closed) return;
    this.setTimer(this.now() + STORE_RETRY_MS);
  }

  private async claimAll(now: number): Promise<void> {
    this.rateWakeAt = Infinity;
    const actions = new Set(this.pendingActions.keys());
    for (const [action, lane] of this.lanes) if (lane.ready.length) actions.add(action);
    for (const action of this.probing) actions.add(action);
    for (const action of actions) {
      if (this.closed) return;
      const lane = this.lane(action);
      const policy = this.policy(action);
      this.startReady(action, lane, now);
      const mark = this.pendingActions.get(action);
      const probe = this.probing.delete(action);
      if (mark === undefined && !probe) continue;
      let want: number;
      const limiter = this.limiter(lane, policy, now);
      if (limiter) {
        // Only what the limit lets start now: a rate-limited lane holds no claims ahead.
        want = this.withinLimit(limiter, policy.concurrency - lane.handed.size - lane.ready.length, now);
      } else {
        const slots = this.slots(action, policy);
        want = roomAhead(slots, lane);
        // A probe asks for a claim's worth even when the lane's room is full (held ahead): fewer found means nothing more is due.
        if (probe) want = Math.max(claimAhead(slots), want);
        else if (lane.ready.length > claimAhead(slots) / 2 && !this.catchUp(action, lane, want)) continue;
      }
      want = Math.min(want, this.claimSlice.size());
      if (want <= 0) continue;
      // Claimed with a lease: the row stays pending, so a dead replica's work comes back by itself.
      const claimed = await timed(this.claimSlice, want, () => this.store.claimDue(action, now, want, { owner: this.owner, until: now + this.leaseMs }));
      lane.stored = Math.max(0, lane.stored - claimed.length);
      if (mark === undefined) {
        // A probe of a lane in hand-over mode: a full claim found work nobody announced, of unknown size (claim mode).
        if (claimed.length >= want) this.markPending(action);
        else this.askNextDue = true;
      } else if (claimed.length < want) {
        // Nothing more due now: later work comes back through a commit, a retry, a released stage or the timer's poke.
        this.askNextDue = true;
        if (this.pendingActions.get(action) === mark) this.leaveClaimMode(action, lane);
      } else if (lane.stored === 0 && !this.uncounted.has(action)) {
        // Claimed at least as many as this process stored since the lane fell behind, and no other work was
        // announced: caught up, though a full claim cannot tell (while deliveries arrive about as fast as the
        // lane runs them, each claim finds about as many as it asks for and may never come back short: the
        // lane went on claiming what it could have been handed, issue 12). A due row nobody announced (a retry
        // whose time came just before the timer's poke) may have taken the place of one of ours; the next look
        // at the store (askNextDue) sets the timer for what is still due, within the safety net's second.
        this.askNextDue = true;
        this.leaveClaimMode(action, lane);
      }
      lane.ready.pushAll(claimed);
      // Claimed while closing: given back at once (close() also gives back what is left).
      if (this.closed) return;
      this.startReady(action, lane, this.now());
    }
  }

  /** Starts the lane's claimed deliveries while it has free slots (and its rate limit allows). */
  private startReady(action: string, lane: Lane, now: number): void {
    if (lane.ready.length === 0 || this.closed) return;
    const policy = this.policy(action);
    let free = Math.min(this.slots(action, policy) - lane.handed.size, lane.ready.length);
    if (free <= 0) return;
    const limiter = this.limiter(lane, policy, now);
    if (limiter) {
      free = this.withinLimit(limiter, free, now);
      if (free <= 0) return;
      limiter.take(free, now);
    }
    for (let i = 0; i < free; i++) this.launch(action, lane, lane.ready.shift()!);
  }

  private launch(action: string, lane: Lane, d: ClaimedDelivery): void {
    this.uncharge(d.id);
    lane.handed.add(d);
    this.running.set(d.id, this.runHanded(action, lane, d));
  }

  /**
   * One handed delivery's attempt, its slot freed once the action answered.
   * An async function rather than run(...).catch(...).finally(...): that
   * chain made two more promises and their reactions per delivery (issue 12:
   * the event loop's work and garbage per delivery).
   */
  private async runHanded(action: string, lane: Lane, d: ClaimedDelivery): Promise<void> {
    let freed = false;
    // The slot frees when the action answered, before its outcome is recorded: the next claimed delivery starts at once.
    const free = (): void => {
      if (freed) return;
      freed = true;
      lane.handed.delete(d);
      if (lane.ready.length) this.startReady(action, lane, this.now());
      // Claims again (one transaction for many) once the lane has used up half of what it claimed ahead, or
      // once its room holds the whole stored backlog it knows of (catchUp).
      if (!this.pumpWanted()) return;
      const slots = this.slots(action, this.policy(action));
      if (lane.ready.length <= claimAhead(slots) / 2 || (this.pendingActions.has(action) && this.catchUp(action, lane, roomAhead(slots, lane)))) this.pump();
    };
    try {
      await this.run(d, free);
    } catch (e) {
      process.stderr.write(`hooker: delivery ${d.id} failed to run: ${(e as Error).message}\n`);
    } finally {
      this.running.delete(d.id);
      free();
    }
  }

  /** At most `n`, as many as the rate limit lets start now; when it holds some back, the timer wakes for its next slot. */
  private withinLimit(limiter: RateLimiter, n: number, now: number): number {
    const allowed = limiter.available(now);
    if (allowed >= n) return n;
    this.rateWakeAt = Math.min(this.rateWakeAt, limiter.nextAt(now));
    return allowed;
  }

  /** The lane's rate limiter, following the current policy (a reload may change it). */
  private limiter(lane: Lane, policy: DeliveryPolicy, now: number): RateLimiter | undefined {
    const rl = policy.rateLimit;
    if (!rl) { lane.limiter = undefined; return undefined; }
    if (!lane.limiter || lane.limiter.limit.count !== rl.count || lane.limiter.limit.perMs !== rl.perMs) lane.limiter = new RateLimiter(rl, now);
    return lane.limiter;
  }

  private async arm(): Promise<void> {
    if (this.closed) return;
    const now = this.now();
    if (!this.askNextDue) {
      // Every action with known work has a busy lane: a finishing delivery pumps again. The slow timer is a safety net.
      this.setTimer(Math.min(this.rateWakeAt === Infinity ? Infinity : Math.max(now + 1, this.rateWakeAt), now + SAFETY_NET_MS,
        this.opts.pollMs !== undefined ? now + this.opts.pollMs : Infinity));
      return;
    }
    this.askNextDue = false;
    let next: number | undefined;
    try {
      next = await this.store.nextDueAt();
    } catch (e) {
      this.askNextDue = true;
      throw e;
    }
    // Deliveries already due wait for a full lane, which pumps when it frees;
    // the slow timer is only a safety net. Future retries get an exact timer,
    // and so does a rate-limited lane's next free slot. With a shared store,
    // other replicas' work arrives by wake(); the poll is the fallback.
    // A delivery that became due after the last claim pass looked (while it awaited the
    // store) was not seen by it: look again now, not after the safety net's second.
    let at = next === undefined ? Infinity : next > now ? next : next > this.claimedAt ? now : now + 1_000;
    if (this.rateWakeAt < at) at = Math.max(now + 1, this.rateWakeAt);
    if (this.opts.pollMs !== undefined) at = Math.min(at, now + this.opts.pollMs);
    if (at !== Infinity) this.setTimer(at);
  }

  private setTimer(at: number): void {
    if (this.closed) return;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      // A fresh look at which actions have work: the timer is also how retries and expired leases come back.
      this.poke();
    }, Math.max(0, at - this.now()));
    this.timer.unref?.();
  }

  private async renew(): Promise<void> {
    this.dropStaleWaiters();
    // Running, being recorded, or claimed ahead and waiting for a slot: all held by this replica's lease.
    const ids = [...this.running.keys()];
    for (const lane of this.lanes.values()) for (const d of lane.ready) ids.push(d.id);
    if (ids.length === 0 || this.closed) return;
    try {
      await this.store.renewLeases(ids, { owner: this.owner, until: this.now() + this.leaseMs });
    } catch (e) {
      this.storeFailed(e as Error);
    }
  }

  /** Deliveries accepted here but run by another replica never report here: their waiters go after a while. */
  private dropStaleWaiters(): void {
    const old = this.now() - WAITER_TTL_MS;
    for (const [id, w] of this.waiters) if (w.at < old) this.waiters.delete(id);
  }

  /** Runs one attempt; `answered` is called once the action is done with it (before the outcome is recorded). */
  private async run(d: ClaimedDelivery, answered: () => void): Promise<void> {
    const startedAt = this.now();
    const attempt = d.attempts + 1;
    let result: DeliveryResult;
    let log: string[] = [];
    try {
      ({ result, log } = await this.handler(new Job(d, attempt), this.shutdown.signal));
    } catch (e) {
      result = { ok: false, detail: `action failed: ${(e as Error).message ?? String(e)}` };
    }
    answered();
    const finishedAt = this.now();
    if (!result.ok && this.shutdown.signal.aborted) {
      // Cut short by shutdown: not the action's fault, the next claim runs it again.
      await this.store.release([d.id], this.owner).catch(() => { /* the lease expires instead */ });
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
    log = redactLines(log);
    const shown = result.detail === undefined ? undefined : redacted(result.detail);
    const detail = retry ? `${shown ?? 'failed'} (attempt ${attempt} of ${policy.retries + 1}, will retry)` : shown;
    // Built field by field: the spreads of optional parts made two objects more per delivery.
    const outcome: AttemptOutcome = { ok: result.ok, detail, log, startedAt, finishedAt };
    if (retry) outcome.retryAt = finishedAt + Math.max(retryDelayMs(attempt, policy, this.opts.random), Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
    if (enriched) outcome.enriched = enriched;
    const finished = await this.finish(d.id, outcome);
    // Not recorded (the store stayed away past the lease, or the lease passed on): another claim runs it again.
    if (!finished || finished.lost) { this.askNextDue = true; this.pump(); return; }
    const { state, released } = finished;
    if (state === 'pending') this.markPending(d.action);
    if ((state === 'succeeded' || state === 'dead') && released.length === 0 && !this.recounting) void this.recount();
    for (const a of released) this.markPending(a);
    // A retry to schedule, or a next stage released: the pump looks at the store again.
    if (state === 'pending' || released.length) this.pump();
    const record: DeliveryRecord = {
      deliveryId: d.id, eventId: d.eventId, routeName: d.route, actionName: d.action, ok: result.ok, state, attempt,
      ...(detail !== undefined ? { detail } : {}), ...(result.changed ? { changed: result.changed } : {}), log, startedAt, finishedAt,
    };
    this.opts.onRecord?.(record);
    const waiter = this.waiters.get(d.id);
    if (waiter) {
      this.waiters.delete(d.id);
      waiter.records[waiter.ids.indexOf(d.id)] = record;
      if (--waiter.left === 0) waiter.resolve(waiter.records);
    }
  }

  private recounting = false;
  /** The inbox count, refreshed after events close (one query at a time). */
  private async recount(): Promise<void> {
    if (this.recounting) return;
    this.recounting = true;
    try { this.inbox = await this.store.openEvents(); } catch { /* kept from the last count */ } finally { this.recounting = false; }
  }

  /**
   * Attempts finishing within FINISH_WINDOW_MS of each other are recorded in
   * one transaction (nothing waits on the record but `done` and the inbox
   * count: the lane slot was freed when the action answered). While the
   * store is unreachable they are retried until their lease would expire;
   * after that another claim runs the delivery again: at-least-once, never lost.
   */
  private finish(id: string, outcome: AttemptOutcome): Promise<FinishResult | undefined> {
    return new Promise((resolve) => {
      this.finishing.push({ id, outcome, resolve });
      if (this.finishing.length >= FINISH_BATCH) this.flushFinishesNow();
      else this.finishTimer ??= setTimeout(() => this.flushFinishesNow(), FINISH_WINDOW_MS);
    });
  }

  private flushFinishesNow(): void {
    clearTimeout(this.finishTimer);
    this.finishTimer = undefined;
    void this.flushFinishes();
  }

  private async flushFinishes(): Promise<void> {
    const items = this.finishing.splice(0, Math.min(MAX_FINISH_BATCH, this.finishSlice.size()));
    if (items.length === 0) return;
    try {
      const results = await timed(this.finishSlice, items.length, () => this.store.finishAttempts(items.map((i) => ({ id: i.id, owner: this.owner, outcome: i.outcome }))));
      items.forEach((i, n) => i.resolve(results[n]));
      if (this.finishing.length) this.finishTimer ??= setTimeout(() => this.flushFinishesNow(), FINISH_WINDOW_MS);
    } catch (e) {
      this.storeFailed(e as Error);
      const deadline = this.now();
      const keep = items.filter((i) => i.outcome.finishedAt + this.leaseMs > deadline);
      for (const i of items) if (!keep.includes(i)) i.resolve(undefined);
      if (keep.length === 0) return;
      setTimeout(() => {
        this.finishing.unshift(...keep);
        this.flushFinishesNow();
      }, STORE_RETRY_MS).unref?.();
    }
  }

  async close(graceMs = 5_000): Promise<void> {
    // Plans accepted but not yet committed are committed: their senders get their 202.
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.renewTimer);
    // A claim in flight lands in its lane first; what was claimed ahead and never started is due again at once, same ids.
    await this.pumpDone.catch(() => {});
    const unstarted = [...this.lanes.values()].flatMap((lane) => lane.ready.takeAll().map((d) => d.id));
    this.aheadCharges.clear();
    this.aheadChars = 0;
    if (unstarted.length) await this.store.release(unstarted, this.owner).catch(() => { /* the leases expire instead */ });
    const all = Promise.allSettled([...this.running.values()]);
    const timer = setTimeout(() => this.shutdown.abort(new Error('server is shutting down')), graceMs);
    await all;
    clearTimeout(timer);
    // Finishes still queued are written before the store closes.
    clearTimeout(this.finishTimer);
    this.finishTimer = undefined;
    while (this.finishing.length) await this.flushFinishes();
  }
}

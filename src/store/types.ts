// The one storage interface every durable part of Hooker goes through:
// events with their route runs and deliveries, dedup keys, aggregation
// buffers, scans and the few cluster-wide "once" records. It holds rows and
// queries only (no routing, no delivery policy); each engine implements it in
// its own folder (sqlite/, postgres/) with its queries in one place.
// Every method is async: SQLite answers at once, PostgreSQL over the network.

import type { RenderedMessage } from '../actions/types.js';
import type { EventPlan } from '../delivery/plan.js';
import type { ScanOutcome, ScanRecord, ScanRequest, ScanState } from '../scan/types.js';
import type { ConsoleReads } from './console-queries.js';

export type { EventPlan, PlannedRoute, PlannedDelivery, DedupKey, ActionKind } from '../delivery/plan.js';

/**
 * `running` is not written: it is a pending delivery whose lease (claimed_by,
 * lease_until) is live. Lists and counts show it as running.
 */
export type DeliveryState = 'waiting' | 'pending' | 'running' | 'succeeded' | 'dead';
export const DELIVERY_STATES: readonly DeliveryState[] = ['waiting', 'pending', 'running', 'succeeded', 'dead'];

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  route: string;
  action: string;
  stage: number;
  kind: import('../delivery/plan.js').ActionKind;
  /** Attempts made before this one. */
  attempts: number;
  template?: string;
  message: RenderedMessage;
  /** The event as the actions of this stage see it (enriched by earlier ReadAndWrite actions). */
  event: unknown;
  /** `event` as the stored JSON text it was parsed from (the http action sends it instead of serialising `event`). */
  eventText?: string;
  hops: number;
  createdAt: number;
  /** When it became due (its next_at when claimed): how long it has waited, for the delivery lag. */
  dueAt?: number;
}

export interface AttemptOutcome {
  ok: boolean;
  detail?: string;
  log: string[];
  startedAt: number;
  finishedAt: number;
  /** When to try again; absent for a final outcome (success, or dead letter). */
  retryAt?: number;
  /** For a successful ReadAndWrite delivery: the event the next stages see, and their message. */
  enriched?: { event: unknown; message?: RenderedMessage };
}

export interface DeliverySummary {
  id: string;
  eventId: string;
  route: string;
  action: string;
  state: DeliveryState;
  attempts: number;
  stage: number;
  kind: import('../delivery/plan.js').ActionKind;
  nextAt: number;
  createdAt: number;
  updatedAt: number;
  lastError?: string;
}

export interface AttemptRecord {
  startedAt: number;
  finishedAt: number;
  ok: boolean;
  detail?: string;
  log: string[];
}

export interface DeliveryFilter {
  state?: DeliveryState;
  route?: string;
  action?: string;
  eventId?: string;
  limit?: number;
  /** Only deliveries created before this time (ms). */
  before?: number;
}

export interface PurgeFilter { before?: number; state?: 'succeeded' | 'dead'; route?: string; limit?: number }

/** What committing one plan did: routes refused because their dedup key is live (another event, maybe on another replica, holds it). */
export interface PlanCommit { duplicates: string[]; deliveries: string[] }

/** Who holds a claim: a replica id and until when (ms). */
export interface Lease { owner: string; until: number }

/**
 * Deliveries of the plans being committed that the committing process runs
 * itself, handed over in memory: they are stored already leased to it, so no
 * claim query reads them back and no other replica claims them.
 */
export interface HeldAtInsert { lease: Lease; ids: ReadonlySet<string> }

export interface FinishItem { id: string; owner: string; outcome: AttemptOutcome }

/** `lost`: the lease had passed to another replica; this attempt is not recorded. */
export interface FinishResult { state: DeliveryState; released: string[]; lost?: boolean }

export interface DeliveryRows {
  /**
   * Commits plans in one transaction (group commit); dedup keys are taken here, atomically with their event.
   * Deliveries named in `held` are stored leased (claimed by `held.lease.owner`).
   */
  insertPlans(plans: EventPlan[], held?: HeldAtInsert): Promise<PlanCommit[]>;
  /**
   * How many insertPlans calls the caller may have in flight at once (default 1). A store that runs
   * its commits back to back in the order they were called and answers them in that order (the
   * SQLite writer thread) says more, so plans arriving during a commit's round trip are posted at
   * once instead of after its answer.
   */
  readonly commitsInFlight?: number;
  /** Up to `limit` due deliveries of one action, oldest first, leased to `lease.owner` until `lease.until`. */
  claimDue(action: string, now: number, limit: number, lease: Lease): Promise<ClaimedDelivery[]>;
  /** Extends the leases this owner still holds. */
  renewLeases(ids: string[], lease: Lease): Promise<void>;
  /** Gives a claim back unrun (shutdown): due again at once, same id. */
  release(ids: string[], owner: string): Promise<void>;
  /** Records attempts in one transaction; a final outcome releases the route's next stage. */
  finishAttempts(items: FinishItem[]): Promise<FinishResult[]>;
  /**
   * At start: SQLite (one process owns the file) frees every lease a dead
   * process left; PostgreSQL leaves leases to expire. Returns the number freed.
   */
  resumeAtStart(now: number): Promise<number>;
  /** Actions with pending deliveries (due or not). */
  pendingActions(): Promise<string[]>;
  /** Earliest time a pending delivery becomes due (a leased one: when its lease expires). */
  nextDueAt(): Promise<number | undefined>;
  /** Events with unfinished deliveries (the inbox). */
  openEvents(): Promise<number>;
  /** Age in ms of the oldest due, unclaimed delivery (0 when none): how far deliveries lag. */
  oldestDueAgeMs(now: number): Promise<number>;
  /** Due time of an action's oldest pending, unclaimed delivery (due or not): the backpressure lag. */
  oldestPendingAt(action: string, now?: number): Promise<number | undefined>;
  list(filter?: DeliveryFilter): Promise<DeliverySummary[]>;
  countByState(now?: number): Promise<Record<DeliveryState, number>>;
  get(id: string): Promise<(DeliverySummary & { message: RenderedMessage; attemptLog: AttemptRecord[] }) | undefined>;
  /** Puts dead deliveries (one, or all matching) back to pending with a fresh retry budget. */
  retryDead(filter: DeliveryFilter & { id?: string }, now?: number): Promise<number>;
  /** Deletes finished events (every delivery succeeded or dead) with their rows. Never undelivered ones. */
  purgeFinished(opts?: PurgeFilter): Promise<number>;
  eventBody(id: string): Promise<unknown>;
}

export interface DedupRows {
  purgeExpired(now?: number): Promise<number>;
  liveCount(now?: number): Promise<number>;
}

export interface AggregateItem {
  id: number;
  eventId: string;
  message: RenderedMessage;
  createdAt: number;
}

export interface AggregateRows {
  count(route: string): Promise<number>;
  oldest(route: string): Promise<number | undefined>;
  /** Routes with buffered items (a restart re-arms their timers). */
  routes(): Promise<string[]>;
  /**
   * Takes up to `limit` buffered items of a route and commits the plan `build`
   * makes of them, removing the items, in one transaction that only one
   * replica at a time can run for a route. `build` sees the items and may
   * decline (undefined): another replica flushed first, nothing is due.
   */
  flush(route: string, limit: number, build: (items: AggregateItem[]) => EventPlan | undefined): Promise<number>;
}

export interface ScanRows {
  /** Queues a scan unless one of the same target is queued or running; then returns that one. */
  enqueue(request: ScanRequest, targetKey: string): Promise<{ record: ScanRecord; existing: boolean }>;
  /** Leases the oldest queued scan (or one whose lease expired) to `lease.owner`. */
  claimNext(lease: Lease): Promise<ScanRecord | undefined>;
  finish(id: string, state: Extract<ScanState, 'passed' | 'failed' | 'error'>, outcome?: ScanOutcome, error?: string): Promise<void>;
  get(id: string): Promise<ScanRecord | undefined>;
  outcome(id: string): Promise<ScanOutcome | undefined>;
  countByState(state: ScanState): Promise<number>;
  /**
   * Scans whose runner is gone (SQLite: every running one at start;
   * PostgreSQL: expired leases) are queued again while attempts remain, else error.
   */
  recover(maxAttempts: number): Promise<{ resumed: string[]; failed: string[] }>;
}

/** Things that must happen once across all replicas. */
export interface ClusterRows {
  /** True for exactly one caller per (name, tick): the one that fires it. */
  claimTick(name: string, tick: number): Promise<boolean>;
  /**
   * Tries to become the holder of `name` (a session-level lock that passes on
   * when the holder's connection dies). SQLite: always granted.
   */
  tryLead(name: string): Promise<Leadership | undefined>;
}

export interface Leadership {
  /** False once the lock is lost (connection dropped). */
  held(): boolean;
  release(): Promise<void>;
}

export interface StoreHealth { ok: boolean; reason?: string }

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** Where the data is, with any password removed (safe to log). */
  readonly location: string;
  readonly deliveries: DeliveryRows;
  readonly dedup: DedupRows;
  readonly aggregates: AggregateRows;
  readonly scans: ScanRows;
  readonly cluster: ClusterRows;
  /** The web console's list queries. */
  readonly console: ConsoleReads;
  /**
   * Calls `fn` when another replica made work due (PostgreSQL LISTEN/NOTIFY).
   * SQLite has one process: nothing to hear. Returns an unsubscribe.
   */
  onWork(fn: () => void): () => void;
  /** Tells idle replicas that deliveries became due (NOTIFY); a no-op for SQLite. */
  notifyWork(): void;
  /** Bytes the store takes on disk, for hooker_db_bytes (PostgreSQL: Hooker's tables with their indexes, dead rows and free space). */
  usedBytes(): Promise<number>;
  /**
   * Bytes of the rows themselves, what max-db-size limits. SQLite: usedBytes
   * (a deleted row's pages are free at once). PostgreSQL: the rows' size
   * (pg_column_size), as its files keep the space of deleted rows for reuse
   * and never shrink; one scan of the tables, so it is asked only when
   * usedBytes is over the limit.
   */
  liveBytes(): Promise<number>;
  /**
   * Deletes the oldest finished events (never undelivered ones) until the
   * live bytes are at most `limit` or no finished event is left; returns how
   * many went and the live bytes after. One replica at a time: another one
   * checking at the same moment finds the rows already fit.
   */
  evictFinished(limit: number): Promise<{ events: number; live: number }>;
  /** Whether the store answers (readyz, ingest). */
  health(): StoreHealth;
  close(): Promise<void>;
}

/** A store error that means "the database cannot be reached now": answer 503, try again later. */
export class StoreUnavailableError extends Error {
  readonly unavailable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

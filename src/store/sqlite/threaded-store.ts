// The SQLite store with every statement run in one worker thread (issue 12:
// "all SQLite writing in one worker thread fed by batches, so the event loop
// only does HTTP and evaluation"). This class is transport only: each call
// becomes a message to writer-thread.ts, which runs the same SQLite backend
// (SqliteStore) on its own connection, so both modes have the same rows,
// queries and transactions. Durability is unchanged: insertPlans resolves
// once the worker's commit returned, and only then is an event answered.
//
// Calls made in one turn of the event loop leave in one message and run in
// the order they were made; the thread answers in batches (writer-protocol.ts).
// If the thread dies, every pending and later call fails with a
// StoreUnavailableError (ingest answers 503) and health() says why.

import { Worker } from 'node:worker_threads';
import type {
  AggregateItem, AggregateRows, ClusterRows, DedupRows, DeliveryRows, EventPlan, ScanRows, Store, StoreHealth,
} from '../types.js';
import { StoreUnavailableError } from '../types.js';
import type { ConsoleReads, StoredEvent } from '../console-queries.js';
import type { SqliteStoreOptions } from './sqlite-store.js';
import {
  errorFromWire, packFinishes, packPlans, unpackClaimRows, unpackCommits, unpackFinishResults, type Answer, type Call, type FromWriter, type Notice,
  type PackedClaimRows, type PackedCommits, type PackedFinishResults, type WireError,
} from './writer-protocol.js';
import { parseJson, stringifyJson } from '../../json/lossless.js';
import { claimedOf } from './delivery-rows.js';
import { ChurnMap } from '../../churn-map.js';

// CommonJS run with eval: loads the thread's module next to this one (the .ts
// source through tsx when the server itself runs from source, as in tests).
const SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch((e) => {
  parentPort.postMessage({ failed: { kind: 'error', name: 'Error', message: 'the SQLite writer thread did not start: ' + (e && e.message || e) } });
  process.exit(1);
});
`;

interface Pending { resolve(v: unknown): void; reject(e: Error): void }

/** The console's reads, plus the text index step the SQLite console has (tests and bench:ui call it). */
export interface ThreadedConsole extends ConsoleReads { indexText(max?: number): Promise<number> }

export class ThreadedSqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  readonly deliveries: DeliveryRows;
  readonly dedup: DedupRows;
  readonly aggregates: AggregateRows;
  readonly scans: ScanRows;
  readonly cluster: ClusterRows;
  readonly console: ThreadedConsole;
  /** Calls not answered yet, by id (a ChurnMap: see src/churn-map.ts for why not a Map). */
  private readonly pending = new ChurnMap<number, Pending>();
  private outbox: Call[] = [];
  private posting = false;
  private nextId = 1;
  private failure: StoreUnavailableError | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly exit: Promise<void>;
  private readonly indexerErrors = new Map<number, (message: string) => void>();
  private nextIndexer = 1;
  /** The last flush of each route (see aggregates.flush). */
  private readonly flushes = new Map<string, Promise<unknown>>();

  private constructor(private readonly worker: Worker, readonly location: string) {
    this.exit = new Promise((resolve) => worker.once('exit', (code) => {
      this.fail(`the SQLite writer thread stopped (exit code ${code})`);
      resolve();
    }));
    worker.on('message', (batch: FromWriter[]) => this.answers(batch));
    worker.on('error', (e) => this.fail(`the SQLite writer thread failed: ${e.message}`));
    worker.unref();
    const call = <T>(op: string, ...args: unknown[]) => this.call<T>(op, args);
    this.deliveries = {
      // The thread runs commits back to back in call order and answers each at once (writer-thread.ts), so the
      // scheduler may post a second one while the first is on its round trip (DeliveryRows.commitsInFlight).
      commitsInFlight: 2,
      // Events cross as their JSON text (writer-protocol.ts); the backend stores that text as the body.
      insertPlans: async (plans, held) => unpackCommits(plans, await call<PackedCommits>('insertPlans', packPlans(plans, eventTextOf, held))),
      claimDue: async (action, now, limit, lease) => claimedOf(unpackClaimRows(await call<PackedClaimRows>('claimDue', action, now, limit, lease))),
      renewLeases: (ids, lease) => call('renewLeases', ids, lease),
      release: (ids, owner) => call('release', ids, owner),
      finishAttempts: async (items) => unpackFinishResults(await call<PackedFinishResults>('finishAttempts', packFinishes(items, jsonText))),
      resumeAtStart: (now) => call('resumeAtStart', now),
      pendingActions: () => call('pendingActions'),
      nextDueAt: () => call('nextDueAt'),
      openEvents: () => call('openEvents'),
      oldestDueAgeMs: (now) => call('oldestDueAgeMs', now),
      oldestPendingAt: (action, now) => call('oldestPendingAt', action, now),
      list: (f) => call('list', f),
      countByState: (now) => call('countByState', now),
      get: (id) => call('get', id),
      retryDead: (f, now) => call('retryDead', f, now),
      purgeFinished: (o) => call('purgeFinished', o),
      eventBody: async (id) => { const text = await call<string | undefined>('eventBody', id); return text === undefined ? undefined : parseJson(text); },
    };
    this.dedup = {
      purgeExpired: (now) => call('dedup.purgeExpired', now),
      liveCount: (now) => call('dedup.liveCount', now),
    };
    this.aggregates = {
      count: (route) => call('aggregates.count', route),
      oldest: (route) => call('aggregates.oldest', route),
      routes: () => call('aggregates.routes'),
      // `build` runs here, between reading the items and committing their plan with their removal
      // (two calls: a function cannot cross to the thread). Flushes of a route run one at a time, as the
      // in-loop transaction makes them: a second one reads what the first left. The commit also takes
      // nothing if an item is gone meanwhile.
      flush: (route, limit, build) => {
        const run = async () => {
          const items = await call<AggregateItem[]>('aggregates.peek', route, limit);
          if (items.length === 0) return 0;
          const plan = build(items);
          return plan ? call<number>('aggregates.commitFlush', items.map((i) => i.id), packPlans([plan], eventTextOf)) : 0;
        };
        const before = this.flushes.get(route) ?? Promise.resolve();
        const mine = before.then(run, run);
        const tail = mine.catch(() => {});
        this.flushes.set(route, tail);
        void tail.then(() => { if (this.flushes.get(route) === tail) this.flushes.delete(route); });
        return mine;
      },
    };
    this.scans = {
      enqueue: (request, key) => call('scans.enqueue', request, key),
      claimNext: (lease) => call('scans.claimNext', lease),
      finish: (id, state, outcome, error) => call('scans.finish', id, state, outcome, error),
      get: (id) => call('scans.get', id),
      outcome: (id) => call('scans.outcome', id),
      countByState: (state) => call('scans.countByState', state),
      recover: (max) => call('scans.recover', max),
    };
    this.cluster = {
      claimTick: (name, tick) => call('cluster.claimTick', name, tick),
      // As SqliteClusterRows: one process owns the file, so leadership is always granted (nothing to ask the thread).
      tryLead: async () => ({ held: () => true, release: async () => {} }),
    };
    this.console = {
      listEvents: (f) => call('console.listEvents', f),
      event: async (id) => unwireStoredEvent(await call<WiredStoredEvent | undefined>('console.event', id)),
      deadLetterGroups: () => call('console.deadLetterGroups'),
      deadLetters: (f) => call('console.deadLetters', f),
      routeCounters: () => call('console.routeCounters'),
      scans: (f) => call('console.scans', f),
      eventsMentioning: (text, limit) => call('console.eventsMentioning', text, limit),
      indexText: (max) => call('console.indexText', max),
      startTextIndexer: (onError) => {
        const handle = this.nextIndexer++;
        this.indexerErrors.set(handle, onError);
        call('console.startTextIndexer', handle).catch((e: Error) => onError(e.message));
        return () => {
          this.indexerErrors.delete(handle);
          call('console.stopTextIndexer', handle).catch(() => { /* closed: the indexer ended with the thread */ });
        };
      },
    };
  }

  /** Starts the thread, which opens (and migrates) the database; resolves once it can take calls. */
  static async open(path: string, opts: SqliteStoreOptions = {}): Promise<ThreadedSqliteStore> {
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = new Worker(SOURCE, {
      eval: true,
      workerData: { entry: new URL(`./writer-thread.${fromSource ? 'ts' : 'js'}`, import.meta.url).href, tsx: fromSource, path, options: opts },
    });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the SQLite writer thread stopped while opening the database (exit code ${code})`));
      const onError = (e: Error) => reject(e);
      worker.once('message', (m: { ready?: true; failed?: WireError }) => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        if (m.failed) { void worker.terminate(); reject(errorFromWire(m.failed)); } else resolve();
      });
      worker.once('exit', onExit);
      worker.once('error', onError);
    });
    return new ThreadedSqliteStore(worker, path);
  }

  private call<T>(op: string, args: unknown[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed && op !== 'close') return Promise.reject(new Error(`the store ${this.location} is closed`));
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      // A call in flight keeps the process up, as a pending I/O would; an idle thread does not.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.outbox.push([id, op, args]);
      if (!this.posting) {
        this.posting = true;
        // Every call of this run of the loop (and the promise callbacks it sets off) in one message.
        queueMicrotask(() => this.post());
      }
    });
  }

  private post(): void {
    this.posting = false;
    const batch = this.outbox;
    this.outbox = [];
    try {
      this.worker.postMessage(batch);
    } catch {
      // An argument that cannot be cloned fails its own call, not the others of the batch.
      for (const c of batch) {
        try { this.worker.postMessage([c]); } catch (e) { this.settle(c[0], false, e as Error); }
      }
    }
  }

  private answers(batch: FromWriter[]): void {
    for (const m of batch) {
      if (m[0] === 0) { const [, , handle, message] = m as Notice; this.indexerErrors.get(handle)?.(message); continue; }
      const a = m as Answer;
      if (a[1]) this.settle(a[0], true, a[2]);
      else this.settle(a[0], false, errorFromWire(a[2]));
    }
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    if (ok) p.resolve(value); else p.reject(value as Error);
  }

  /** The thread is gone: what was asked of it fails now, and so does anything asked later (never a call left hanging). */
  private fail(why: string): void {
    if (this.failure) return;
    if (this.closed && this.pending.size === 0) return; // the thread ending after close(): no failure
    this.failure = new StoreUnavailableError(`${why}; the database ${this.location} is not written until the server restarts`);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(this.failure);
  }

  onWork(): () => void {
    // SQLite has one process: nothing to hear.
    return () => {};
  }

  notifyWork(): void {}

  usedBytes(): Promise<number> { return this.call('usedBytes', []); }
  liveBytes(): Promise<number> { return this.call('liveBytes', []); }
  evictFinished(limit: number): Promise<{ events: number; live: number }> { return this.call('evictFinished', [limit]); }

  health(): StoreHealth {
    if (this.failure) return { ok: false, reason: this.failure.message };
    return this.closed ? { ok: false, reason: 'closed' } : { ok: true };
  }

  /**
   * Waits for the calls made before it (they run first, in order), then the
   * thread stops the checkpoint worker, closes the database and ends.
   */
  close(): Promise<void> {
    return this.closing ??= (async () => {
      this.closed = true;
      if (!this.failure) {
        try { await this.call('close', []); } catch { /* the thread died: nothing left to close */ }
      }
      const stuck = setTimeout(() => void this.worker.terminate(), 5_000);
      await this.exit;
      clearTimeout(stuck);
    })();
  }
}

/** A plan's event as the backend would write it (its text when routing made it already): events cross as text. */
const eventTextOf = (p: EventPlan): string => p.eventText ?? jsonText(p.event);
const jsonText = (v: unknown): string => stringifyJson(v ?? null) ?? 'null';

type WiredStoredEvent = Omit<StoredEvent, 'runs'> & { bodyText: string; runs: Array<StoredEvent['runs'][number] & { enrichedText?: string }> };

function unwireStoredEvent(e: WiredStoredEvent | undefined): StoredEvent | undefined {
  if (!e) return undefined;
  const { bodyText, runs, ...rest } = e;
  return {
    ...rest, body: parseJson(bodyText),
    runs: runs.map(({ enrichedText, enriched: _e, ...r }) => ({ ...r, ...(enrichedText !== undefined ? { enriched: parseJson(enrichedText) } : {}) })),
  };
}

// The SQLite writer thread (started by threaded-store.ts): it owns the
// database connection and runs the SQLite backend (SqliteStore, unchanged)
// for calls the event loop sends in batches, one after the other in the order
// they were made, and answers each batch's calls in one message. The WAL
// checkpoint worker is started from here as it is from an in-loop store, and
// its hand-back checkpoint runs on this thread, between two of its commits.

import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
import {
  errorToWire, packClaimRows, packCommits, packFinishResults, unpackFinishes, unpackPlans, type Answer, type Call, type FromWriter, type PackedFinishes, type PackedPlans,
} from './writer-protocol.js';
import { parseJson, stringifyJson } from '../../json/lossless.js';
import type { StoredEvent } from '../console-queries.js';
import type { EventPlan, FinishItem, HeldAtInsert } from '../types.js';

const port = parentPort!;
const { path, options } = workerData as { path: string; options: SqliteStoreOptions };

let store!: SqliteStore;
try {
  store = SqliteStore.open(path, options);
} catch (e) {
  // Reported as the open's error (the file cannot be opened, a migration failed); the thread then ends.
  port.postMessage({ failed: errorToWire(e) });
  port.close();
}

const indexers = new Map<number, () => void>();
const post = (m: FromWriter[]) => port.postMessage(m);

type Op = (...args: never[]) => unknown;
/** Every call the proxy makes, by name: the backend's own methods, with events crossing as text (writer-protocol.ts). */
const ops: Record<string, Op> = {
  insertPlans: async (packed: PackedPlans) => {
    const { plans, held } = unpackPlans(packed);
    return packCommits(plans, await store.deliveries.insertPlans(plans, held));
  },
  claimDue: async (action: string, now: number, limit: number, lease: { owner: string; until: number }) =>
    packClaimRows(await store.deliveries.claimDueRows(action, now, limit, lease)),
  renewLeases: (ids: string[], lease: { owner: string; until: number }) => store.deliveries.renewLeases(ids, lease),
  release: (ids: string[], owner: string) => store.deliveries.release(ids, owner),
  finishAttempts: async (packed: PackedFinishes) => packFinishResults(await store.deliveries.finishAttempts(unpackFinishes(packed, parseJson))),
  resumeAtStart: () => store.deliveries.resumeAtStart(),
  pendingActions: () => store.deliveries.pendingActions(),
  nextDueAt: () => store.deliveries.nextDueAt(),
  openEvents: () => store.deliveries.openEvents(),
  oldestDueAgeMs: (now: number) => store.deliveries.oldestDueAgeMs(now),
  oldestPendingAt: (action: string, now?: number) => store.deliveries.oldestPendingAt(action, now),
  list: (f?: Parameters<SqliteStore['deliveries']['list']>[0]) => store.deliveries.list(f),
  countByState: (now?: number) => store.deliveries.countByState(now),
  get: (id: string) => store.deliveries.get(id),
  retryDead: (f: Parameters<SqliteStore['deliveries']['retryDead']>[0], now?: number) => store.deliveries.retryDead(f, now),
  purgeFinished: (o?: Parameters<SqliteStore['deliveries']['purgeFinished']>[0]) => store.deliveries.purgeFinished(o),
  eventBody: async (id: string) => { const b = await store.deliveries.eventBody(id); return b === undefined ? undefined : stringifyJson(b); },

  'dedup.purgeExpired': (now?: number) => store.dedup.purgeExpired(now),
  'dedup.liveCount': (now?: number) => store.dedup.liveCount(now),

  'aggregates.count': (route: string) => store.aggregates.count(route),
  'aggregates.oldest': (route: string) => store.aggregates.oldest(route),
  'aggregates.routes': () => store.aggregates.routes(),
  'aggregates.peek': (route: string, limit: number) => store.aggregates.peek(route, limit),
  'aggregates.commitFlush': (ids: number[], packed: PackedPlans) => store.aggregates.commitFlush(ids, unpackPlans(packed).plans[0]!),

  'scans.enqueue': (...a: Parameters<SqliteStore['scans']['enqueue']>) => store.scans.enqueue(...a),
  'scans.claimNext': (...a: Parameters<SqliteStore['scans']['claimNext']>) => store.scans.claimNext(...a),
  'scans.finish': (...a: Parameters<SqliteStore['scans']['finish']>) => store.scans.finish(...a),
  'scans.get': (id: string) => store.scans.get(id),
  'scans.outcome': (id: string) => store.scans.outcome(id),
  'scans.countByState': (...a: Parameters<SqliteStore['scans']['countByState']>) => store.scans.countByState(...a),
  'scans.recover': (n: number) => store.scans.recover(n),

  'cluster.claimTick': (name: string, tick: number) => store.cluster.claimTick(name, tick),

  'console.listEvents': (...a: Parameters<SqliteStore['console']['listEvents']>) => store.console.listEvents(...a),
  'console.event': async (id: string) => packStoredEvent(await store.console.event(id)),
  'console.deadLetterGroups': () => store.console.deadLetterGroups(),
  'console.deadLetters': (...a: Parameters<SqliteStore['console']['deadLetters']>) => store.console.deadLetters(...a),
  'console.routeCounters': () => store.console.routeCounters(),
  'console.scans': (...a: Parameters<SqliteStore['console']['scans']>) => store.console.scans(...a),
  'console.eventsMentioning': (text: string, limit?: number) => store.console.eventsMentioning(text, limit),
  'console.indexText': (max?: number) => store.console.indexText(max),
  'console.startTextIndexer': (handle: number) => {
    indexers.set(handle, store.console.startTextIndexer((message) => post([[0, 'indexer-error', handle, message]])));
  },
  'console.stopTextIndexer': (handle: number) => { indexers.get(handle)?.(); indexers.delete(handle); },

  usedBytes: () => store.usedBytes(),
  liveBytes: () => store.liveBytes(),
  evictFinished: (limit: number) => store.evictFinished(limit),
  health: () => store.health(),
  close: async () => {
    for (const stop of indexers.values()) stop();
    indexers.clear();
    await store.close();
  },
};

function packStoredEvent(e: StoredEvent | undefined) {
  if (!e) return undefined;
  return {
    ...e, body: undefined, bodyText: stringifyJson(e.body) ?? 'null',
    runs: e.runs.map((r) => ({ ...r, enriched: undefined, ...(r.enriched !== undefined ? { enrichedText: stringifyJson(r.enriched) ?? 'null' } : {}) })),
  };
}

// Calls run one after the other in the order they were made, with one
// exception: an ingest commit (insertPlans) goes ahead of the delivery
// bookkeeping calls queued before it (claims, finishes, lease renewals and
// releases, counts; DELIVERY_BOOKKEEPING). A 202 waits for its commit, and
// while deliveries run the queue holds claims of up to hundreds of rows and
// finishes of up to 512 outcomes, each taking milliseconds; in FIFO order
// a commit waited behind all of them (issue 12: at an offered 1,000
// events/s with deliveries running, the 202's p50 was 478 ms in this mode
// against 2-5 ms on the event loop). The overtaken calls are about other
// rows: a claim skips the commit's own deliveries (they are inserted leased
// or due for the next claim anyway), finishes and lease changes name rows
// committed earlier, and counts only add. A commit never overtakes another
// commit or any other kind of call (dedup purges, aggregates, scans, the
// console), so every call still sees every commit made before it.
//
// Messages that arrived while a call ran are taken before the next one
// (receiveMessageOnPort), so a commit posted meanwhile is seen at once, not
// after the whole backlog. A commit's answer leaves as soon as it is made
// (the 202 waits for it); other answers are posted together (one message,
// one wake-up of the event loop, for many of them) once the queue is empty,
// or before the next call once the oldest waiting answer is ANSWER_HOLD_MS old.
const ANSWER_HOLD_MS = 1;
const DELIVERY_BOOKKEEPING = new Set([
  'claimDue', 'finishAttempts', 'renewLeases', 'release', 'openEvents', 'oldestDueAgeMs', 'oldestPendingAt', 'nextDueAt', 'pendingActions', 'countByState',
]);
/** A call as queued: with the number of the message it came in (takeCommits). */
type Queued = [id: number, op: string, args: unknown[], message: number];
const queue: Queued[] = [];
/** Messages taken so far. */
let arrived = 0;
/** Queues one message's calls, each marked with the message's number. */
function enqueue(batch: Call[]): void {
  arrived++;
  for (let i = 0; i < batch.length; i++) {
    const c = batch[i] as unknown as Queued;
    c[3] = arrived;
    queue.push(c);
  }
}
let answers: Answer[] = [];
let oldestAnswerAt = 0;
let draining = false;
let closing = false;

/** The messages that arrived since the last look, in order. */
function takeArrived(): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    enqueue(m.message as Call[]);
  }
}

/** The next call: the first commit if only delivery bookkeeping is queued ahead of it, else the oldest call. */
function nextCall(): Queued {
  for (let i = 0; i < queue.length; i++) {
    const op = queue[i]![1];
    if (op === 'insertPlans') return i === 0 ? queue.shift()! : queue.splice(i, 1)[0]!;
    if (!DELIVERY_BOOKKEEPING.has(op)) break;
  }
  return queue.shift()!;
}

// Finishes queued back to back run as one finishAttempts (up to FINISH_MERGE_ITEMS outcomes):
// a finish's cost per outcome falls with its size (one transaction, and the pages its outcomes
// share: the events', the counters', the attempts' last leaves; in a store loop 19.6 µs per
// outcome in finishes of 48, 16.9 in finishes of 96), and while this thread is busy the event
// loop's finishes queue up behind each other (issue 12: 40 % of the sustained phase's finishes
// had another one queued). Each call still gets its own answer, the same as one by one:
// finishAttempts records a delivery named twice in order. A failure fails the calls run together.
const FINISH_MERGE_ITEMS = 512;

/** The finishes queued right after `first` (already taken), taken too while the outcomes stay within FINISH_MERGE_ITEMS. */
function takeFinishes(first: Queued, items: FinishItem[][]): Queued[] {
  const calls = [first];
  let n = items[0]!.length;
  while (queue[0]?.[1] === 'finishAttempts') {
    let next: FinishItem[];
    try { next = unpackFinishes(queue[0][2][0] as PackedFinishes, parseJson); } catch { break; /* answered by the call alone */ }
    if (n + next.length > FINISH_MERGE_ITEMS) break;
    calls.push(queue.shift()!);
    items.push(next);
    n += next.length;
  }
  return calls;
}

/** Runs finishes as one and answers each call with its own outcomes' results. */
async function finishTogether(calls: Queued[], items: FinishItem[][]): Promise<Answer[]> {
  try {
    const results = await store.deliveries.finishAttempts(items.flat());
    let at = 0;
    return calls.map(([id], i): Answer => [id, true, packFinishResults(results.slice(at, at += items[i]!.length))]);
  } catch (e) {
    const error = errorToWire(e);
    return calls.map(([id]): Answer => [id, false, error]);
  }
}

// Commits queued together run as one transaction (up to COMMIT_MERGE_PLANS plans), each call answered with
// its own results: a commit's cost is mostly the pages it writes, the last leaves of the same dozen B-trees
// whatever its size, and at 3,000 events/s the scheduler's commits carry 3-12 plans each, one in five
// arriving while another waits (issue 12, BENCHMARKS.md session 16 "writer"); while this thread catches up
// after losing its core, both commits in flight wait. A later commit is taken over the same delivery
// bookkeeping calls nextCall lets a commit overtake, never over any other call. If the transaction fails,
// the calls run one by one, so that a failing commit fails alone, as it would have unmerged.
const COMMIT_MERGE_PLANS = 512;

/**
 * The commits queued after `first` (already taken) that nextCall would pick next, while the plans stay
 * within COMMIT_MERGE_PLANS. Not those that came in the same message as `first`: the scheduler splits a
 * large flush in two commits posted together so that the event loop answers the first half's senders
 * while this thread commits the second (src/delivery/scheduler.ts, COMMIT_SPLIT_PLANS); merging them
 * would undo that. Merged are commits that waited here while this thread was busy.
 */
function takeCommits(first: Queued, batches: Array<{ plans: EventPlan[]; held?: HeldAtInsert }>): Queued[] {
  const calls = [first];
  let n = batches[0]!.plans.length;
  for (let i = 0; i < queue.length; i++) {
    const op = queue[i]![1];
    if (op !== 'insertPlans') {
      if (DELIVERY_BOOKKEEPING.has(op)) continue;
      break;
    }
    if (queue[i]![3] === calls[calls.length - 1]![3]) break;
    let next: { plans: EventPlan[]; held?: HeldAtInsert };
    try { next = unpackPlans(queue[i]![2][0] as PackedPlans); } catch { break; /* answered by the call alone */ }
    if (n + next.plans.length > COMMIT_MERGE_PLANS) break;
    calls.push(queue.splice(i--, 1)[0]!);
    batches.push(next);
    n += next.plans.length;
  }
  return calls;
}

/** Runs commits as one transaction and answers each call with its own commits; one by one if that fails. */
async function commitTogether(calls: Queued[], batches: Array<{ plans: EventPlan[]; held?: HeldAtInsert }>): Promise<Answer[]> {
  try {
    const commits = store.deliveries.insertBatchesNow(batches);
    return calls.map(([id], i): Answer => [id, true, packCommits(batches[i]!.plans, commits[i]!)]);
  } catch (e) {
    if (calls.length === 1) return [[calls[0]![0], false, errorToWire(e)]];
    const out: Answer[] = [];
    for (let i = 0; i < calls.length; i++) {
      const { plans, held } = batches[i]!;
      try {
        out.push([calls[i]![0], true, packCommits(plans, await store.deliveries.insertPlans(plans, held))]);
      } catch (e) {
        out.push([calls[i]![0], false, errorToWire(e)]);
      }
    }
    return out;
  }
}

async function drain(): Promise<void> {
  draining = true;
  for (takeArrived(); queue.length; takeArrived()) {
    if (answers.length && performance.now() - oldestAnswerAt >= ANSWER_HOLD_MS) flushAnswers();
    const call = nextCall();
    const [id, op, args] = call;
    if (op === 'insertPlans') {
      let batches: Array<{ plans: EventPlan[]; held?: HeldAtInsert }> | undefined;
      try { batches = [unpackPlans(args[0] as PackedPlans)]; } catch { /* answered by the call alone, below */ }
      if (batches) {
        answers.push(...await commitTogether(takeCommits(call, batches), batches));
        // A 202 waits for its commit: answered at once (with the answers held so far).
        flushAnswers();
        continue;
      }
    }
    if (op === 'finishAttempts' && queue[0]?.[1] === 'finishAttempts') {
      let items: FinishItem[][] | undefined;
      try { items = [unpackFinishes(args[0] as PackedFinishes, parseJson)]; } catch { /* answered by the call alone, below */ }
      if (items) {
        const done = await finishTogether(takeFinishes(call, items), items);
        if (answers.length === 0) oldestAnswerAt = performance.now();
        answers.push(...done);
        continue;
      }
    }
    let answer: Answer;
    try {
      const fn = ops[op];
      if (!fn) throw new Error(`the SQLite writer thread has no operation ${op}`);
      answer = [id, true, await (fn as (...a: unknown[]) => unknown)(...args)];
    } catch (e) {
      answer = [id, false, errorToWire(e)];
    }
    if (answers.length === 0) oldestAnswerAt = performance.now();
    answers.push(answer);
    if (op === 'insertPlans') flushAnswers();
    if (op === 'close') closing = true;
  }
  flushAnswers();
  draining = false;
  // Closed: the port goes, and with it the thread's last reference: it ends on its own.
  if (closing) port.close();
}

function flushAnswers(): void {
  if (answers.length === 0) return;
  const out = answers;
  answers = [];
  try {
    post(out);
  } catch {
    // A value that cannot be cloned (a bug: every op answers plain data) fails its own call, not the batch.
    for (const a of out) {
      try { post([a]); } catch (e) { post([[a[0], false, errorToWire(e)]]); }
    }
  }
}

if (store) {
  port.on('message', (batch: Call[]) => {
    enqueue(batch);
    if (!draining) void drain();
  });
  port.postMessage({ ready: true });
}

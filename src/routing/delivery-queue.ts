// The seam between routing and delivery. A DeliveryJob is plain data (the
// rendered message is inside it) so a durable store can persist it, retry
// it and dead-letter it later; the in-memory queue here runs each action's
// jobs on its own lane so a slow action never holds up another.

import type { RenderedMessage, DeliveryResult } from '../actions/types.js';

export interface DeliveryJob {
  deliveryId: string;
  eventId: string;
  routeName: string;
  actionName: string;
  event: unknown;
  message: RenderedMessage;
  hops: number;
  enqueuedAt: number;
}

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  routeName: string;
  actionName: string;
  ok: boolean;
  detail?: string;
  changed?: string[];
  log: string[];
  startedAt: number;
  finishedAt: number;
}

/** Runs one job against the current configuration's action of that name. */
export type DeliveryHandler = (job: DeliveryJob, signal: AbortSignal) => Promise<{ result: DeliveryResult; log: string[] }>;

export interface DeliveryQueue {
  /** Accepts a job; resolves with its final record (after retries, for stores that retry). */
  enqueue(job: DeliveryJob): Promise<DeliveryRecord>;
  /** Jobs accepted and not finished. */
  pending(): number;
  /** Stops taking jobs, aborts running ones after `graceMs`, resolves when all lanes are idle. */
  close(graceMs?: number): Promise<void>;
}

interface Lane {
  running: number;
  waiting: Array<() => void>;
}

export class InMemoryDeliveryQueue implements DeliveryQueue {
  private readonly lanes = new Map<string, Lane>();
  private readonly inFlight = new Set<Promise<DeliveryRecord>>();
  private readonly shutdown = new AbortController();
  private closed = false;

  constructor(private readonly handler: DeliveryHandler, private readonly concurrencyPerAction = 1) {}

  pending(): number {
    return this.inFlight.size;
  }

  enqueue(job: DeliveryJob): Promise<DeliveryRecord> {
    if (this.closed) return Promise.resolve(this.record(job, Date.now(), { ok: false, detail: 'server is shutting down' }, []));
    const p = this.run(job);
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) { lane = { running: 0, waiting: [] }; this.lanes.set(name, lane); }
    return lane;
  }

  private async run(job: DeliveryJob): Promise<DeliveryRecord> {
    const lane = this.lane(job.actionName);
    if (lane.running >= this.concurrencyPerAction) await new Promise<void>((resolve) => lane.waiting.push(resolve));
    lane.running++;
    const startedAt = Date.now();
    try {
      const { result, log } = await this.handler(job, this.shutdown.signal);
      return this.record(job, startedAt, result, log);
    } catch (e) {
      return this.record(job, startedAt, { ok: false, detail: `action failed: ${(e as Error).message ?? String(e)}` }, []);
    } finally {
      lane.running--;
      lane.waiting.shift()?.();
    }
  }

  private record(job: DeliveryJob, startedAt: number, result: DeliveryResult, log: string[]): DeliveryRecord {
    return {
      deliveryId: job.deliveryId, eventId: job.eventId, routeName: job.routeName, actionName: job.actionName,
      ok: result.ok, detail: result.detail, changed: result.changed, log, startedAt, finishedAt: Date.now(),
    };
  }

  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    const all = Promise.allSettled([...this.inFlight]);
    const timer = setTimeout(() => this.shutdown.abort(new Error('server is shutting down')), graceMs);
    await all;
    clearTimeout(timer);
  }
}

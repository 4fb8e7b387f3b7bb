// `schedules:` emit `scan.scheduled` events into the inbox (interval or cron),
// so periodic scans are ordinary routes matching on that event.

import { randomUUID } from 'node:crypto';
import type { ScheduleDef } from './config.js';
import { nextCronTime } from './cron.js';
import { SCAN_SCHEDULED } from './events.js';
import type { IngestCallback } from './service.js';

export interface ScheduledEvent {
  type: typeof SCAN_SCHEDULED;
  schedule: string;
  id: string;
  scheduled_at: string;
  [field: string]: unknown;
}

export function nextRun(def: ScheduleDef, after: number): number | undefined {
  // Interval ticks fall on multiples of the interval (since the epoch), not
  // on start time + interval: replicas started apart agree on each tick, so
  // the store can let exactly one of them fire it.
  if (def.everyMs) return (Math.floor(after / def.everyMs) + 1) * def.everyMs;
  return def.cron ? nextCronTime(def.cron, after) : undefined;
}

export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly schedules: readonly ScheduleDef[],
    private readonly ingest: IngestCallback,
    private readonly log: (line: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
    /**
     * Claims a tick for this process; with replicas sharing a store exactly one
     * of them gets true per (schedule, tick), so each tick fires once cluster-wide.
     */
    private readonly claimTick: (name: string, tick: number) => Promise<boolean> = async () => true,
  ) {}

  start(): void {
    this.stopped = false;
    for (const def of this.schedules) this.arm(def, this.now());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The event a schedule emits at `at` (exposed for tests and `hooker validate`). */
  static event(def: ScheduleDef, at: number): ScheduledEvent {
    // `hooker.schedule` marks it as Hooker's own: events from outside never carry the `hooker` key.
    return { ...def.payload, type: SCAN_SCHEDULED, schedule: def.name, id: randomUUID(), scheduled_at: new Date(at).toISOString(), hooker: { schedule: def.name } };
  }

  private arm(def: ScheduleDef, from: number): void {
    const at = nextRun(def, from);
    if (at === undefined || this.stopped) return;
    // setTimeout holds at most ~24.8 days; longer waits re-arm on the way.
    const delay = Math.min(Math.max(0, at - this.now()), 2 ** 31 - 1);
    const timer = setTimeout(() => {
      if (this.now() < at) { this.arm(def, from); return; }
      this.claimTick(def.name, at)
        .then((mine) => (mine ? this.ingest(Scheduler.event(def, at)) : undefined))
        .catch((e: unknown) => this.log(`schedule ${def.name}: posting scan.scheduled failed: ${String(e)}`));
      this.arm(def, at);
    }, delay);
    timer.unref?.();
    this.timers.set(def.name, timer);
  }
}

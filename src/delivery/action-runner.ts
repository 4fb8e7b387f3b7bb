// Runs one claimed delivery against the action of that name in the current
// runtime (a reload may have removed or changed it since the event arrived).

import { DELIVERY_GUARD_MS, type Action, type DeliveryContext, type DeliveryResult, type RenderedMessage } from '../actions/types.js';
import { DeadlineGuard } from './deadline-guard.js';

export interface DeliveryJob {
  deliveryId: string;
  eventId: string;
  routeName: string;
  actionName: string;
  event: unknown;
  /** The event's stored JSON text, when known (see DeliveryContext.eventText). */
  eventText?: string;
  message: RenderedMessage;
  hops: number;
  enqueuedAt: number;
  /** 1 for the first attempt. */
  attempt: number;
}

/** Runs one job against the current configuration's action of that name. */
export type DeliveryHandler = (job: DeliveryJob, signal: AbortSignal) => Promise<{ result: DeliveryResult; log: string[] }>;

export function actionHandler(actions: () => Map<string, Action>, timeoutGuardMs = DELIVERY_GUARD_MS): DeliveryHandler {
  // One guard per shutdown signal (the scheduler passes the same one to every job).
  const guards = new WeakMap<AbortSignal, DeadlineGuard>();
  return async (job, shutdown) => {
    const action = actions().get(job.actionName);
    const log: string[] = [];
    if (!action) return { result: { ok: false, retryable: false, detail: `action "${job.actionName}" is no longer configured` }, log };
    if (job.message.templateError) return { result: { ok: false, retryable: false, detail: job.message.templateError }, log };
    // Actions enforce their own timeouts; this guard only bounds a misbehaving one.
    let guard = guards.get(shutdown);
    if (!guard) { guard = new DeadlineGuard(shutdown, timeoutGuardMs); guards.set(shutdown, guard); }
    const { signal, release } = guard.acquire();
    try {
      const result = await action.deliver(new RunContext(job, signal, log));
      return { result, log };
    } finally {
      release();
    }
  };
}

/**
 * What an action is given. Its `event` is the job's, read when the action
 * reads it (a claimed row's event is parsed only then; the http action sends
 * the stored text), a getter on the class: an object literal's getter is
 * made anew, through the runtime, for every object (issue 12). An action
 * wrapper that spreads it must carry `event` itself (define.ts).
 */
class RunContext implements DeliveryContext {
  readonly deliveryId: string; readonly eventId: string; readonly routeName: string; readonly eventText?: string;
  readonly message: RenderedMessage; readonly hops: number;
  /** An own function, not a method: actions pass it on unbound. */
  readonly log: (line: string) => void;
  constructor(private readonly job: DeliveryJob, readonly signal: AbortSignal, lines: string[]) {
    this.deliveryId = job.deliveryId; this.eventId = job.eventId; this.routeName = job.routeName;
    if (job.eventText !== undefined) this.eventText = job.eventText;
    this.message = job.message; this.hops = job.hops;
    this.log = (line) => { lines.push(line); };
  }
  get event(): DeliveryContext['event'] { return this.job.event as DeliveryContext['event']; }
}

// Signals for running deliveries: each is aborted when the server shuts down
// or when it outlives the guard's limit. Actions keep their own precise
// timeouts; this only bounds one that ignores them, so it may be coarse.
//
// Deliveries started within one period (the limit, at most `periodMs`) share
// one AbortController and one timer, set for the period's end plus the limit:
// every one of them has had at least the limit when it fires, and at most the
// limit plus one period (as coarse as the sweeping timer this replaced). Per
// delivery this is a counter, not an AbortController (issue 12: an
// AbortController and its signal per delivery were ~3 % of a drain's CPU).

import { setMaxListeners } from 'node:events';

interface Generation {
  readonly controller: AbortController;
  /** Acquired and not released yet. */
  running: number;
  /** Deliveries started before this time join it; later ones open the next generation. */
  readonly openUntil: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly ticket: DeadlineTicket;
}

export interface DeadlineTicket {
  readonly signal: AbortSignal;
  /** The delivery is over: call once. */
  release(): void;
}

export class DeadlineGuard {
  private current: Generation | undefined;
  /** Generations with running deliveries, or still taking new ones. */
  private readonly live = new Set<Generation>();
  private readonly periodMs: number;
  private readonly stopped: DeadlineTicket;

  constructor(private readonly shutdown: AbortSignal, private readonly limitMs: number, periodMs = 1_000, private readonly now: () => number = Date.now) {
    this.periodMs = Math.max(1, Math.min(periodMs, limitMs));
    this.stopped = { signal: shutdown, release: () => {} };
    shutdown.addEventListener('abort', () => {
      for (const g of this.live) this.end(g, shutdown.reason);
      this.current = undefined;
    }, { once: true });
  }

  /** A signal for one delivery; call `release` on the ticket when it is over. */
  acquire(): DeadlineTicket {
    if (this.shutdown.aborted) return this.stopped;
    const now = this.now();
    let g = this.current;
    if (!g || now >= g.openUntil) g = this.open(now);
    g.running++;
    return g.ticket;
  }

  private open(now: number): Generation {
    const previous = this.current;
    const controller = new AbortController();
    // Every delivery of the period listens on this one signal (an http request, a child process, a
    // fetch): more than Node's default 10 listeners is expected here, not a leak to warn about.
    setMaxListeners(0, controller.signal);
    const g: Generation = {
      controller, running: 0, openUntil: now + this.periodMs, timer: undefined,
      ticket: {
        signal: controller.signal,
        release: () => {
          g.running--;
          // A closed generation with nothing left running has nothing to abort.
          if (g.running === 0 && this.current !== g) this.drop(g);
        },
      },
    };
    g.timer = setTimeout(() => this.end(g, new DOMException(`the action ran past the ${this.limitMs} ms guard`, 'TimeoutError')), this.periodMs + this.limitMs);
    g.timer.unref?.();
    this.live.add(g);
    this.current = g;
    if (previous && previous.running === 0) this.drop(previous);
    return g;
  }

  /** Aborts what is still running in the generation (past its deadline, or shutdown). */
  private end(g: Generation, reason: unknown): void {
    if (this.current === g) this.current = undefined;
    this.drop(g);
    if (g.running > 0) g.controller.abort(reason);
  }

  private drop(g: Generation): void {
    clearTimeout(g.timer);
    g.timer = undefined;
    this.live.delete(g);
  }
}

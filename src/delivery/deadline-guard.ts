// Signals for running deliveries: each is aborted when the server shuts down
// or when it outlives the guard's limit, with one listener on the shutdown
// signal and one coarse sweeping timer for all of them. Per delivery this is
// one AbortController and no timer: at thousands of deliveries a second,
// AbortSignal.any with AbortSignal.timeout per delivery cost a timer, a
// listener and weak references each (issue 12). Actions keep their own
// precise timeouts; this only bounds one that ignores them.

export class DeadlineGuard {
  private readonly running = new Map<AbortController, number>();
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly shutdown: AbortSignal, private readonly limitMs: number, private readonly sweepMs = 1_000) {
    shutdown.addEventListener('abort', () => {
      for (const c of this.running.keys()) c.abort(shutdown.reason);
      this.running.clear();
      this.stop();
    }, { once: true });
  }

  /** A signal for one delivery; call `release` when it is over. */
  acquire(): { signal: AbortSignal; release(): void } {
    const c = new AbortController();
    if (this.shutdown.aborted) { c.abort(this.shutdown.reason); return { signal: c.signal, release: () => {} }; }
    this.running.set(c, Date.now() + this.limitMs);
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(this.sweepMs, this.limitMs));
      this.sweeper.unref?.();
    }
    return { signal: c.signal, release: () => { this.running.delete(c); if (this.running.size === 0) this.stop(); } };
  }

  private sweep(): void {
    const now = Date.now();
    for (const [c, deadline] of this.running) {
      if (deadline > now) continue;
      this.running.delete(c);
      c.abort(new DOMException(`the action ran past the ${this.limitMs} ms guard`, 'TimeoutError'));
    }
    if (this.running.size === 0) this.stop();
  }

  private stop(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

// Backpressure: when deliveries fall behind, ingest says so early (503 with
// Retry-After, refused in onRequest before the body is read) instead of
// growing a silent backlog until HOOKER_MAX_INBOX. The lag is the age of the
// oldest delivery that is due and not running, sampled on a timer (never per
// request): actions with a `rate-limit:` are left out, their backlog is by
// design. Refusing starts above HOOKER_MAX_DELIVERY_LAG and stops below half
// of it, so senders are not flipped between 202 and 503 at every sample.
//
// Refused requests cost only the onRequest hook, so under overload the
// event loop's time goes to the deliveries: that is the share delivery keeps.

export interface LagSource {
  /** Actions whose backlog counts (those without a rate limit). */
  actions(): string[];
  /** Due time of the action's oldest pending delivery (due or not), if any. */
  oldestPendingAt(action: string): Promise<number | undefined> | number | undefined;
}

export interface BackpressureState {
  /** Age of the oldest due delivery, 0 when none is due. */
  lagMs: number;
  refusing: boolean;
  /** HOOKER_MAX_DELIVERY_LAG; 0 when backpressure is off. */
  maxLagMs: number;
}

export class Backpressure {
  private state: BackpressureState;
  private timer: ReturnType<typeof setInterval> | undefined;
  private sampling = false;

  constructor(private readonly source: LagSource, private readonly opts: { maxLagMs: number; sampleMs?: number; now?: () => number; onSample?: (s: BackpressureState) => void }) {
    this.state = { lagMs: 0, refusing: false, maxLagMs: opts.maxLagMs };
  }

  get current(): BackpressureState {
    return this.state;
  }

  /** Seconds a refused sender should wait: half the limit (the lag at which refusing stops), 1 to 60 s. */
  retryAfterSeconds(): number {
    return Math.min(60, Math.max(1, Math.ceil(this.opts.maxLagMs / 2000)));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.sample(); }, this.opts.sampleMs ?? 500);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async sample(): Promise<BackpressureState> {
    if (this.sampling) return this.state;
    this.sampling = true;
    try {
      const now = (this.opts.now ?? Date.now)();
      let oldest = Infinity;
      for (const a of this.source.actions()) {
        const at = await this.source.oldestPendingAt(a);
        if (at !== undefined && at < oldest) oldest = at;
      }
      const lagMs = oldest <= now ? now - oldest : 0;
      const max = this.opts.maxLagMs;
      const refusing = max > 0 && (this.state.refusing ? lagMs > max / 2 : lagMs > max);
      this.state = { lagMs, refusing, maxLagMs: max };
      this.opts.onSample?.(this.state);
      return this.state;
    } catch {
      // The database did not answer (it may be a PostgreSQL that is away): keep the last sample; readyz reports the database.
      return this.state;
    } finally {
      this.sampling = false;
    }
  }
}

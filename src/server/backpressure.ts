// Backpressure: when deliveries fall behind, ingest says so early (503 with
// Retry-After, refused in onRequest before the body is read) instead of
// growing a silent backlog until HOOKER_MAX_INBOX. The lag is the age of the
// oldest delivery that is due and not running, sampled on a timer (never per
// request): actions with a `rate-limit:` are left out, their backlog is by
// design. Refusing starts above HOOKER_MAX_DELIVERY_LAG and stops below half
// of it, so senders are not flipped between 202 and 503 at every sample.
//
// The lag limit reacts late (seconds of backlog) and in swings. Admission
// keeps the inbox flat before that: while it holds more than
// HOOKER_INBOX_HIGH_WATER events, ingest is admitted only as fast as events
// leave the inbox (their last delivery finished), measured at each sample;
// the rest is refused in onRequest. Under overload the process then spends
// its time on the events it admits and their deliveries in the proportion
// that keeps up (issue 12: the sustained phase grew an inbox of 12k events,
// delivering a third of what it accepted), and the inbox stays near the mark.
//
// Refused requests cost only the onRequest hook, so under overload the
// event loop's time goes to the deliveries: that is the share delivery keeps.

export interface LagSource {
  /** Actions whose backlog counts (those without a rate limit). */
  actions(): string[];
  /** Due time of the action's oldest pending delivery (due or not), if any. */
  oldestPendingAt(action: string): Promise<number | undefined> | number | undefined;
  /** Events with unfinished deliveries now, and how many entered the inbox since start (a counter). */
  inbox?(): { open: number; entered: number };
}

export interface BackpressureState {
  /** Age of the oldest due delivery, 0 when none is due. */
  lagMs: number;
  refusing: boolean;
  /** HOOKER_MAX_DELIVERY_LAG; 0 when backpressure is off. */
  maxLagMs: number;
  /** Events leaving the inbox per second (smoothed over the last samples): the admitted rate above the high-water mark. */
  leavingPerSecond: number;
  /** HOOKER_INBOX_HIGH_WATER; 0 when admission is off. */
  highWater: number;
}

export interface BackpressureOptions {
  maxLagMs: number;
  /** Inbox size (events) above which ingest is admitted only as fast as events leave the inbox; 0 or absent: off. */
  highWater?: number;
  sampleMs?: number;
  now?: () => number;
  onSample?: (s: BackpressureState) => void;
}

export class Backpressure {
  private state: BackpressureState;
  private timer: ReturnType<typeof setInterval> | undefined;
  private sampling = false;
  /** The inbox at the last sample, to measure how fast events leave it. */
  private last: { at: number; open: number; entered: number } | undefined;
  /** Admissions available above the high-water mark, refilled at the leaving rate (at most half a second's worth). */
  private tokens = 0;
  private tokensAt = 0;

  constructor(private readonly source: LagSource, private readonly opts: BackpressureOptions) {
    this.state = { lagMs: 0, refusing: false, maxLagMs: opts.maxLagMs, leavingPerSecond: 0, highWater: opts.highWater ?? 0 };
  }

  get current(): BackpressureState {
    return this.state;
  }

  /** Seconds a refused sender should wait: half the limit (the lag at which refusing stops), 1 to 60 s. */
  retryAfterSeconds(): number {
    return Math.min(60, Math.max(1, Math.ceil(this.opts.maxLagMs / 2000)));
  }

  /**
   * Whether one more event may enter now: always below the high-water mark;
   * above it while the events that left the inbox since leave room (a token
   * bucket refilled at the measured leaving rate). Called per request: no I/O.
   */
  admit(): boolean {
    const high = this.state.highWater;
    if (high <= 0 || !this.source.inbox) return true;
    if (this.source.inbox().open < high) return true;
    const now = (this.opts.now ?? Date.now)();
    const rate = this.state.leavingPerSecond;
    this.tokens = Math.min(Math.max(1, rate / 2), this.tokens + (rate * Math.max(0, now - this.tokensAt)) / 1000);
    this.tokensAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether the inbox is at or above the high-water mark (admission meters ingest). */
  overHighWater(): boolean {
    const high = this.state.highWater;
    return high > 0 && !!this.source.inbox && this.source.inbox().open >= high;
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

  /** Events that left the inbox per second since the last sample (entered minus growth), smoothed. */
  private leaving(now: number): number {
    const inbox = this.source.inbox?.();
    if (!inbox) return 0;
    const last = this.last;
    this.last = { at: now, ...inbox };
    if (!last || now <= last.at) return this.state.leavingPerSecond;
    const left = Math.max(0, inbox.entered - last.entered - (inbox.open - last.open));
    const rate = (left * 1000) / (now - last.at);
    return this.state.leavingPerSecond > 0 ? 0.5 * this.state.leavingPerSecond + 0.5 * rate : rate;
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
      this.state = { ...this.state, lagMs, refusing, leavingPerSecond: this.leaving(now) };
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

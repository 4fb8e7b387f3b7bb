// Ingest's share of each event-loop turn (issue 12, many senders).
//
// A delivery's answer is read in the poll phase, and its lane starts the next
// delivery there: with an action's concurrency C, deliveries finish at most C
// per turn of the loop. Every POST / read in the same poll phase is parsed,
// evaluated and answered in that turn too, so a turn lasted as long as the
// requests that arrived during the last one took, and that number grows with
// the senders that wait: measured with the sustained bench at an offered
// 3,000 events/s, 256 waiting senders against 32 gave 3-4x fewer deliveries
// per second (16 per turn, ~55 ms turns) while the process used less CPU.
//
// The gate lets at most `perTurn` ingest requests start in one turn; the
// rest wait in arrival order and start in the following turns' check phase
// (setImmediate), each turn after the poll that reads the deliveries'
// answers. Senders wait a few turns instead of deliveries waiting for
// hundreds of requests; the refusal or admission decision is made when a
// request starts, on the inbox as it is then.

export class TurnGate {
  /** Ingest requests started in the current turn. */
  private started = 0;
  private readonly waiting: Array<() => void> = [];
  private armed = false;

  /**
   * @param perTurn ingest requests started per event-loop turn at most
   * @param maxWaiting past this many waiting, requests start at once (as
   *   before the gate): a queue of parsed requests must not grow without
   *   bound (pipelined senders), and the old behaviour is the safe fallback.
   */
  constructor(private readonly perTurn: number, private readonly maxWaiting = 4_096) {}

  /** Requests waiting for a turn. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Runs `start` now if this turn has room (and nobody waits before it), otherwise in a later turn. */
  run(start: () => void): void {
    if (this.waiting.length === 0 && this.started < this.perTurn) {
      this.started++;
      this.arm();
      start();
      return;
    }
    if (this.waiting.length >= this.maxWaiting) { start(); return; }
    this.waiting.push(start);
    this.arm();
  }

  /** One check-phase callback per turn: a new turn's budget, then the waiting requests it has room for. */
  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.armed = false;
    this.started = 0;
    const n = Math.min(this.perTurn, this.waiting.length);
    for (const start of this.waiting.splice(0, n)) {
      this.started++;
      try { start(); } catch (e) { process.nextTick(() => { throw e; }); }
    }
    // Armed from the check phase, the next callback runs in the next turn, after its poll phase.
    if (this.started > 0 || this.waiting.length) this.arm();
  };
}

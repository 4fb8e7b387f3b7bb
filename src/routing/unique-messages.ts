// Postee's unique-message-props plugin: within unique-message-timeout, a
// route delivers an event only once per combination of the listed
// properties (dot paths into the event).

export class UniqueMessageFilter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when the event is new for this route (and remembers it). */
  admit(route: string, event: unknown, props: string[], timeoutMs: number | undefined): boolean {
    const key = `${route}\u0000${JSON.stringify(props.map((p) => lookup(event, p)))}`;
    const t = this.now();
    const until = this.seen.get(key);
    if (until !== undefined && until > t) return false;
    // Without a timeout Postee keeps the key for good; a day bounds memory.
    this.seen.set(key, t + (timeoutMs ?? 24 * 3_600_000));
    if (this.seen.size > 10_000) this.prune(t);
    return true;
  }

  private prune(t: number) {
    for (const [k, until] of this.seen) if (until <= t) this.seen.delete(k);
  }
}

function lookup(event: unknown, path: string): unknown {
  let cur = event;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

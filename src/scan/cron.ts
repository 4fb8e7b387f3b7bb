// Five-field cron expressions (minute hour day-of-month month day-of-week),
// with `*`, lists, ranges and steps; evaluated in UTC.

export interface CronSpec {
  text: string;
  fields: [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  /** Day-of-month and day-of-week both restricted: cron matches either (POSIX rule). */
  domOrDow: boolean;
}

const RANGES: Array<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];

function parseField(text: string, [lo, hi]: [number, number]): Set<number> | string {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return `"${part}" is not a cron field item`;
    const step = m[4] ? Number(m[4]) : 1;
    let a = lo;
    let b = hi;
    if (m[1] !== '*') { a = Number(m[2]); b = m[3] !== undefined ? Number(m[3]) : (m[4] ? hi : a); }
    if (a < lo || b > hi || a > b || step < 1) return `"${part}" is outside ${lo}-${hi}`;
    for (let v = a; v <= b; v += step) out.add(v);
  }
  return out;
}

export function parseCron(text: string): CronSpec | { error: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) return { error: `cron needs five fields (minute hour day month weekday), got ${parts.length}` };
  const fields: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const f = parseField(parts[i]!, RANGES[i]!);
    if (typeof f === 'string') return { error: f };
    fields.push(f);
  }
  if (fields[4]!.has(7)) fields[4]!.add(0);
  return { text, fields: fields as CronSpec['fields'], domOrDow: parts[2] !== '*' && parts[4] !== '*' };
}

function matches(c: CronSpec, d: Date): boolean {
  const [min, hour, dom, month, dow] = c.fields;
  if (!min.has(d.getUTCMinutes()) || !hour.has(d.getUTCHours()) || !month.has(d.getUTCMonth() + 1)) return false;
  const domOk = dom.has(d.getUTCDate());
  const dowOk = dow.has(d.getUTCDay());
  return c.domOrDow ? domOk || dowOk : domOk && dowOk;
}

/** The first matching minute strictly after `after` (searches up to ~4 years). */
export function nextCronTime(c: CronSpec, after: number): number | undefined {
  let t = Math.floor(after / 60_000) * 60_000 + 60_000;
  for (let i = 0; i < 4 * 366 * 24 * 60; i++, t += 60_000) if (matches(c, new Date(t))) return t;
  return undefined;
}

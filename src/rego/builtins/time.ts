// time.* with Go's reference-time layouts; instants are BigInt nanoseconds,
// time zones come from Intl (full ICU in Node 20).

import { implementAll, wantExactNumbers } from './define.js';
import { intArg, numArg, operandError, strArg } from './operands.js';
import { BuiltinError, type RegoValue } from './types.js';

const NS_PER_SEC = 1_000_000_000n;
const NS_PER_DAY = 86_400n * NS_PER_SEC;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
  Kitchen: '3:04PM',
  Stamp: 'Jan _2 15:04:05',
  StampMilli: 'Jan _2 15:04:05.000',
  StampMicro: 'Jan _2 15:04:05.000000',
  StampNano: 'Jan _2 15:04:05.000000000',
  DateTime: '2006-01-02 15:04:05',
  DateOnly: '2006-01-02',
  TimeOnly: '15:04:05',
};

// ---------------------------------------------------------------- civil calendar

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, any day offset). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Wall-clock fields of an instant shifted by `offset` seconds. */
interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  nano: number;
  weekday: number;
  yday: number;
  offset: number;
  zone: string;
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b));

function civil(ns: bigint, zone: Zone): Civil {
  const offset = zone.offsetAt(ns);
  const local = ns + BigInt(offset) * NS_PER_SEC;
  const days = floorDiv(local, NS_PER_DAY);
  const rem = local - days * NS_PER_DAY;
  const [year, month, day] = civilFromDays(Number(days));
  const secs = Number(rem / NS_PER_SEC);
  return {
    year,
    month,
    day,
    hour: Math.floor(secs / 3600),
    min: Math.floor(secs / 60) % 60,
    sec: secs % 60,
    nano: Number(rem % NS_PER_SEC),
    weekday: (((Number(days) + 4) % 7) + 7) % 7,
    yday: Number(days) - daysFromCivil(year, 1, 1) + 1,
    offset,
    zone: zone.abbrev(offset),
  };
}

function fromCivil(y: number, mo: number, d: number, h: number, mi: number, s: number, nano: number): bigint {
  // Normalise month overflow the way Go's time.Date does.
  const m0 = mo - 1;
  const yy = y + Math.floor(m0 / 12);
  const mm = (((m0 % 12) + 12) % 12) + 1;
  const days = BigInt(daysFromCivil(yy, mm, 1) + d - 1);
  return days * NS_PER_DAY + BigInt(h * 3600 + mi * 60 + s) * NS_PER_SEC + BigInt(nano);
}

// ---------------------------------------------------------------- zones

interface Zone {
  offsetAt(ns: bigint): number;
  abbrev(offset: number): string;
}

const UTC: Zone = { offsetAt: () => 0, abbrev: () => 'UTC' };

function fixedZone(offset: number, name?: string): Zone {
  return { offsetAt: () => offset, abbrev: () => name ?? offsetName(offset) };
}

function offsetName(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return `${sign}${String(Math.floor(a / 3600)).padStart(2, '0')}${a % 3600 ? String(Math.floor(a / 60) % 60).padStart(2, '0') : ''}`;
}

const zoneCache = new Map<string, Zone>();

function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  const iana = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  const hit = zoneCache.get(iana);
  if (hit) return hit;
  let fmt: Intl.DateTimeFormat;
  let abbr: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: iana,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    abbr = new Intl.DateTimeFormat('en-US', { timeZone: iana, timeZoneName: 'short' });
  } catch {
    throw new BuiltinError(`unknown time zone ${name}`);
  }
  const zone: Zone = {
    offsetAt(ns) {
      const ms = Number(floorDiv(ns, 1_000_000n));
      const clamped = Math.max(Math.min(ms, 8.64e15), -8.64e15);
      const parts = Object.fromEntries(fmt.formatToParts(new Date(clamped)).map((p) => [p.type, p.value]));
      let y = Number(parts.year);
      if (parts.era === 'BC' || parts.era === 'B') y = 1 - y;
      const wall = daysFromCivil(y, Number(parts.month), Number(parts.day)) * 86400 + Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
      return wall - Math.floor(clamped / 1000);
    },
    abbrev(offset) {
      const named = abbr.formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value;
      return named && !/^GMT[+-]/.test(named) ? named : offsetName(offset);
    },
  };
  zoneCache.set(iana, zone);
  return zone;
}

// ---------------------------------------------------------------- layouts

type Token = { lit: string } | { std: string; digits?: number; trim?: boolean };

const STD_PREFIXES: Array<[string, string]> = [
  ['January', 'longMonth'],
  ['Jan', 'month'],
  ['Monday', 'longWeekday'],
  ['Mon', 'weekday'],
  ['MST', 'tz'],
  ['2006', 'longYear'],
  ['002', 'zeroYday'],
  ['01', 'zeroMonth'],
  ['02', 'zeroDay'],
  ['03', 'zeroHour12'],
  ['04', 'zeroMinute'],
  ['05', 'zeroSecond'],
  ['06', 'year'],
  ['15', 'hour'],
  ['__2', 'underYday'],
  ['_2', 'underDay'],
  ['1', 'numMonth'],
  ['2', 'day'],
  ['3', 'hour12'],
  ['4', 'minute'],
  ['5', 'second'],
  ['PM', 'PM'],
  ['pm', 'pm'],
  ['Z070000', 'ISO8601SecondsTZ'],
  ['Z07:00:00', 'ISO8601ColonSecondsTZ'],
  ['Z0700', 'ISO8601TZ'],
  ['Z07:00', 'ISO8601ColonTZ'],
  ['Z07', 'ISO8601ShortTZ'],
  ['-070000', 'numSecondsTz'],
  ['-07:00:00', 'numColonSecondsTZ'],
  ['-0700', 'numTZ'],
  ['-07:00', 'numColonTZ'],
  ['-07', 'numShortTZ'],
];

function tokenize(layout: string): Token[] {
  const out: Token[] = [];
  let lit = '';
  let i = 0;
  const flush = () => {
    if (lit) out.push({ lit });
    lit = '';
  };
  outer: while (i < layout.length) {
    const c = layout[i]!;
    if ((c === '.' || c === ',') && (layout[i + 1] === '0' || layout[i + 1] === '9')) {
      const d = layout[i + 1]!;
      let j = i + 1;
      while (layout[j] === d) j++;
      if (!/[0-9]/.test(layout[j] ?? '')) {
        flush();
        out.push({ std: 'frac', digits: j - i - 1, trim: d === '9' });
        i = j;
        continue;
      }
    }
    for (const [p, std] of STD_PREFIXES) {
      if (!layout.startsWith(p, i)) continue;
      flush();
      out.push({ std });
      i += p.length;
      continue outer;
    }
    lit += c;
    i++;
  }
  flush();
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

function formatTz(std: string, offset: number, zone: string): string {
  if (std === 'tz') return zone;
  if (std.startsWith('ISO8601') && offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = pad(Math.floor(a / 3600), 2);
  const m = pad(Math.floor(a / 60) % 60, 2);
  const s = pad(a % 60, 2);
  switch (std) {
    case 'ISO8601SecondsTZ':
    case 'numSecondsTz':
      return sign + h + m + s;
    case 'ISO8601ColonSecondsTZ':
    case 'numColonSecondsTZ':
      return `${sign}${h}:${m}:${s}`;
    case 'ISO8601TZ':
    case 'numTZ':
      return sign + h + m;
    case 'ISO8601ColonTZ':
    case 'numColonTZ':
      return `${sign}${h}:${m}`;
    default:
      return sign + h;
  }
}

export function formatTime(ns: bigint, zone: Zone, layout: string): string {
  const t = civil(ns, zone);
  let out = '';
  for (const tok of tokenize(layout)) {
    if ('lit' in tok) {
      out += tok.lit;
      continue;
    }
    const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
    switch (tok.std) {
      case 'longMonth': out += MONTHS[t.month - 1]; break;
      case 'month': out += MONTHS[t.month - 1]!.slice(0, 3); break;
      case 'longWeekday': out += DAYS[t.weekday]; break;
      case 'weekday': out += DAYS[t.weekday]!.slice(0, 3); break;
      case 'longYear': out += t.year < 0 ? '-' + pad(-t.year, 4) : pad(t.year, 4); break;
      case 'year': out += pad(((t.year % 100) + 100) % 100, 2); break;
      case 'zeroMonth': out += pad(t.month, 2); break;
      case 'numMonth': out += t.month; break;
      case 'zeroDay': out += pad(t.day, 2); break;
      case 'day': out += t.day; break;
      case 'underDay': out += String(t.day).padStart(2, ' '); break;
      case 'zeroYday': out += pad(t.yday, 3); break;
      case 'underYday': out += String(t.yday).padStart(3, ' '); break;
      case 'hour': out += pad(t.hour, 2); break;
      case 'zeroHour12': out += pad(h12, 2); break;
      case 'hour12': out += h12; break;
      case 'zeroMinute': out += pad(t.min, 2); break;
      case 'minute': out += t.min; break;
      case 'zeroSecond': out += pad(t.sec, 2); break;
      case 'second': out += t.sec; break;
      case 'PM': out += t.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += t.hour >= 12 ? 'pm' : 'am'; break;
      case 'frac': {
        const digits = pad(t.nano, 9).slice(0, tok.digits);
        if (!tok.trim) out += '.' + digits;
        else {
          const trimmed = digits.replace(/0+$/, '');
          if (trimmed) out += '.' + trimmed;
        }
        break;
      }
      default: out += formatTz(tok.std, t.offset, t.zone);
    }
  }
  return out;
}

function parseError(layout: string, value: string, elem: string, rest: string): BuiltinError {
  return new BuiltinError(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(rest)} as ${JSON.stringify(elem)}`);
}

export function parseTime(layout: string, value: string): bigint {
  let rest = value;
  let year = 1, month = 1, day = 1, yday = -1, hour = 0, min = 0, sec = 0, nano = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  const tokens = tokenize(layout);
  const num = (min: number, max: number, tokName: string): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(rest);
    if (!m) throw parseError(layout, value, tokName, rest);
    rest = rest.slice(m[0].length);
    return Number(m[0]);
  };
  const word = (names: string[], len: number | undefined, tokName: string): number => {
    for (let i = 0; i < names.length; i++) {
      const n = len ? names[i]!.slice(0, len) : names[i]!;
      if (rest.slice(0, n.length).toLowerCase() === n.toLowerCase()) {
        rest = rest.slice(n.length);
        return i;
      }
    }
    throw parseError(layout, value, tokName, rest);
  };
  for (let ti = 0; ti < tokens.length; ti++) {
    const tok = tokens[ti]!;
    if ('lit' in tok) {
      if (!rest.startsWith(tok.lit)) throw parseError(layout, value, tok.lit, rest);
      rest = rest.slice(tok.lit.length);
      continue;
    }
    switch (tok.std) {
      case 'longMonth': month = word(MONTHS, undefined, 'January') + 1; break;
      case 'month': month = word(MONTHS, 3, 'Jan') + 1; break;
      case 'longWeekday': word(DAYS, undefined, 'Monday'); break;
      case 'weekday': word(DAYS, 3, 'Mon'); break;
      case 'longYear': {
        const neg = rest.startsWith('-');
        if (neg) rest = rest.slice(1);
        year = num(4, 4, '2006') * (neg ? -1 : 1);
        break;
      }
      case 'year': {
        const y = num(2, 2, '06');
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case 'zeroMonth': month = num(2, 2, '01'); break;
      case 'numMonth': month = num(1, 2, '1'); break;
      case 'zeroDay': day = num(2, 2, '02'); break;
      case 'day': day = num(1, 2, '2'); break;
      case 'underDay': if (rest.startsWith(' ')) rest = rest.slice(1); day = num(1, 2, '_2'); break;
      case 'zeroYday': yday = num(3, 3, '002'); break;
      case 'underYday': rest = rest.replace(/^ {1,2}/, ''); yday = num(1, 3, '__2'); break;
      case 'hour': hour = num(2, 2, '15'); break;
      case 'zeroHour12': hour = num(2, 2, '03'); break;
      case 'hour12': hour = num(1, 2, '3'); break;
      case 'zeroMinute': min = num(2, 2, '04'); break;
      case 'minute': min = num(1, 2, '4'); break;
      case 'zeroSecond':
      case 'second': {
        sec = tok.std === 'second' ? num(1, 2, '5') : num(2, 2, '05');
        // Go accepts fractional seconds after a seconds field even when the layout has none.
        const next = tokens[ti + 1];
        const m = /^[.,](\d+)/.exec(rest);
        if (m && !(next && 'std' in next && next.std === 'frac')) {
          nano = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
          rest = rest.slice(m[0].length);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const ap = rest.slice(0, 2).toUpperCase();
        if (ap !== 'AM' && ap !== 'PM') throw parseError(layout, value, 'PM', rest);
        pm = ap === 'PM';
        rest = rest.slice(2);
        break;
      }
      case 'frac': {
        const m = /^[.,](\d+)/.exec(rest);
        if (!m) {
          if (tok.trim) break;
          throw parseError(layout, value, '.' + '0'.repeat(tok.digits ?? 0), rest);
        }
        nano = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
        rest = rest.slice(m[0].length);
        break;
      }
      case 'tz': {
        const m = /^([A-Z][A-Za-z]{2,4}|[+-]\d+)/.exec(rest);
        if (!m) throw parseError(layout, value, 'MST', rest);
        rest = rest.slice(m[0].length);
        if (m[0] === 'UTC' || m[0] === 'GMT') offset = 0;
        break;
      }
      default: {
        if (tok.std.startsWith('ISO8601') && rest.startsWith('Z')) {
          rest = rest.slice(1);
          offset = 0;
          break;
        }
        const m = /^([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?/.exec(rest);
        if (!m) throw parseError(layout, value, tok.std, rest);
        rest = rest.slice(m[0].length);
        offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
      }
    }
  }
  if (rest !== '') throw new BuiltinError(`parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(rest)}`);
  if (pm !== undefined) {
    if (hour > 12) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: hour out of range`);
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (yday >= 0) {
    const d = daysFromCivil(year, 1, 1) + yday - 1;
    [, month, day] = civilFromDays(d);
  }
  const dim = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (month < 1 || month > 12) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: month out of range`);
  if (day < 1 || day > dim[month - 1]!) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: day out of range`);
  if (hour > 23 || min > 59 || sec > 59) throw new BuiltinError(`parsing time ${JSON.stringify(value)}: time out of range`);
  return inRange(fromCivil(year, month, day, hour, min, sec, nano) - BigInt(offset ?? 0) * NS_PER_SEC);
}

function inRange(ns: bigint): bigint {
  if (ns > INT64_MAX || ns < INT64_MIN) throw new BuiltinError('time outside of valid range');
  return ns;
}

// ---------------------------------------------------------------- durations

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseDuration(s: string): number {
  const bad = () => new BuiltinError(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1;
  if (rest[0] === '-' || rest[0] === '+') {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest) {
    const m = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw bad();
    const unit = DURATION_UNITS[m[3]!];
    if (unit === undefined) throw new BuiltinError(`time: unknown unit ${JSON.stringify(m[3])} in duration ${JSON.stringify(s)}`);
    total += Number(m[1] || '0') * unit + (m[2] ? Number('0.' + m[2]) * unit : 0);
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

// ---------------------------------------------------------------- operands

function nsOf(v: RegoValue, pos: number): bigint {
  if (typeof v === 'bigint') {
    if (v > INT64_MAX || v < INT64_MIN) throw new BuiltinError('timestamp too big');
    return v;
  }
  if (typeof v !== 'number') throw operandError(pos, 'number', v);
  if (v > Number(INT64_MAX) || v < Number(INT64_MIN)) throw new BuiltinError('timestamp too big');
  // The shortest decimal text of a double beyond 2^53 is what the policy wrote; its exact binary value is noise.
  return BigInt(Math.abs(v) < 1e21 ? String(Math.trunc(v)) : Math.trunc(v));
}

/** A time operand: ns, or [ns, zone], or [ns, zone, layout] (layout only where allowed). */
function timeOperand(args: RegoValue[], i: number): { ns: bigint; zone: Zone; layout?: string } {
  const v = args[i] ?? null;
  if (typeof v === 'number' || typeof v === 'bigint') return { ns: nsOf(v, i + 1), zone: UTC };
  if (Array.isArray(v) && v.length >= 1 && v.length <= 3) {
    const ns = nsOf(v[0]!, i + 1);
    const tz = v[1];
    if (tz !== undefined && typeof tz !== 'string') throw operandError(i + 1, 'string', tz);
    const layout = v[2];
    if (layout !== undefined && typeof layout !== 'string') throw operandError(i + 1, 'string', layout);
    return { ns, zone: loadZone(tz ?? ''), layout: layout === undefined ? undefined : NAMED_LAYOUTS[layout] ?? layout };
  }
  throw operandError(i + 1, ['number', 'array'], v);
}

function addDate(ns: bigint, years: number, months: number, days: number): bigint {
  const t = civil(ns, UTC);
  const d = t.day + days;
  const base = fromCivil(t.year + years, t.month + months, 1, t.hour, t.min, t.sec, t.nano);
  return inRange(base + BigInt(d - 1) * NS_PER_DAY);
}

function diff(a: Civil, b: Civil): number[] {
  let year = b.year - a.year;
  let month = b.month - a.month;
  let day = b.day - a.day;
  let hour = b.hour - a.hour;
  let min = b.min - a.min;
  let sec = b.sec - a.sec;
  if (sec < 0) (sec += 60), min--;
  if (min < 0) (min += 60), hour--;
  if (hour < 0) (hour += 24), day--;
  if (day < 0) {
    const daysInMonth = civilFromDays(daysFromCivil(a.year, a.month, 32))[2];
    day += 32 - daysInMonth;
    month--;
  }
  if (month < 0) (month += 12), year--;
  return [year, month, day, hour, min, sec];
}

implementAll({
  'time.now_ns': (_args, ctx) => Number(ctx.nowNs),
  'time.parse_ns': (args) => {
    const layout = strArg(args, 0);
    return Number(parseTime(NAMED_LAYOUTS[layout] ?? layout, strArg(args, 1)));
  },
  'time.parse_rfc3339_ns': (args) => Number(parseTime(NAMED_LAYOUTS.RFC3339!, strArg(args, 0))),
  'time.parse_duration_ns': (args) => parseDuration(strArg(args, 0)),
  'time.format': (args) => {
    const t = timeOperand(args, 0);
    return formatTime(t.ns, t.zone, t.layout ?? NAMED_LAYOUTS.RFC3339Nano!);
  },
  'time.date': (args) => {
    const t = timeOperand(args, 0);
    const c = civil(t.ns, t.zone);
    return [c.year, c.month, c.day];
  },
  'time.clock': (args) => {
    const t = timeOperand(args, 0);
    const c = civil(t.ns, t.zone);
    return [c.hour, c.min, c.sec];
  },
  'time.weekday': (args) => {
    const t = timeOperand(args, 0);
    return DAYS[civil(t.ns, t.zone).weekday]!;
  },
  'time.add_date': (args) => {
    const ns = nsOf(numArg(args, 0), 1);
    return Number(addDate(ns, intArg(args, 1), intArg(args, 2), intArg(args, 3)));
  },
  'time.diff': (args) => {
    const a = timeOperand(args, 0);
    const b = timeOperand(args, 1);
    // As OPA (time.go): both instants are read in the first operand's zone,
    // then ordered; the calendar difference depends on that one zone.
    const [x, y] = a.ns <= b.ns ? [a, b] : [b, a];
    return diff(civil(x.ns, a.zone), civil(y.ns, a.zone));
  },
});
wantExactNumbers('time.format', 'time.date', 'time.clock', 'time.weekday', 'time.diff');

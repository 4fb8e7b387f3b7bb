// `rate-limit: 1/s` (also `30/m`, `100/h`, `5/10s`): how many delivery
// attempts of one action may start per period.

import { parseDuration } from './duration.js';

export interface RateLimit { count: number; perMs: number }

export function parseRateLimit(value: unknown): RateLimit | { error: string } {
  const text = String(value).trim();
  const m = /^(\d+)\s*\/\s*(\S+)$/.exec(text);
  const bad = { error: `rate-limit must look like 1/s, 30/m or 5/10s (count per period), got "${text}"` };
  if (!m) return bad;
  const count = Number(m[1]);
  const unit = m[2]!;
  const period = /^[smh]$/.test(unit) ? `1${unit}` : unit;
  const d = parseDuration(period);
  if ('error' in d || d.ms <= 0 || count < 1) return bad;
  return { count, perMs: d.ms };
}

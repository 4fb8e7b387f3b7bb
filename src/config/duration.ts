// Durations as cfg.yaml writes them: Go-style "1h30m", "10s", "500ms", or a
// bare number of seconds (Postee's aggregate timeouts accept both).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or an error message when the text is not a duration. */
export function parseDuration(value: unknown): { ms: number } | { error: string } {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return { error: `duration must be a non-negative number of seconds, got ${value}` };
    return { ms: value * 1000 };
  }
  if (typeof value !== 'string') return { error: `duration must be a string like "10s" or a number of seconds, got ${typeof value}` };
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return { ms: Number(text) * 1000 };
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length) {
    return { error: `bad duration "${value}" (use a number of seconds or units ms, s, m, h such as "30s" or "1h30m")` };
  }
  return { ms: total };
}

// Threshold files in SAF CLI's format, evaluated over normalized findings.
//
//   compliance: {min, max}                       percentage of passed controls
//   <status>.<severity>.{min,max}                status: passed failed skipped no_impact error
//                                                severity: total critical high medium low
//   <severity>.{min,max}                         our extension: vulnerability counts
//                                                (critical high medium low info unknown total)
//
// Counting follows SAF: compliance = round(100 * passed / (passed + failed +
// skipped + error)), 0 when nothing counts; no_impact controls are left out.
// Keys may be nested or flattened ("failed.critical.max: 0"), as SAF accepts both.

import { CONTROL_STATUSES, type ControlStatus, type Finding, type Severity } from './findings.js';

export interface Bound { min?: number; max?: number }
export const SAF_SEVERITIES = ['total', 'critical', 'high', 'medium', 'low'] as const;
export type SafSeverity = (typeof SAF_SEVERITIES)[number];
export const VULN_KEYS = ['total', 'critical', 'high', 'medium', 'low', 'info', 'unknown'] as const;
export type VulnKey = (typeof VULN_KEYS)[number];

export interface Threshold {
  compliance?: Bound;
  statuses: Partial<Record<ControlStatus, Partial<Record<SafSeverity, Bound>>>>;
  vulnerabilities: Partial<Record<VulnKey, Bound>>;
}

export interface ThresholdProblem { path: string; message: string }

export interface Counts {
  compliance: number;
  statuses: Record<ControlStatus, Record<SafSeverity, number>>;
  vulnerabilities: Record<VulnKey, number>;
}

export interface BrokenLimit {
  /** The threshold key, e.g. `failed.critical.max`. */
  limit: string;
  actual: number;
  allowed: number;
}

export interface ThresholdResult {
  passed: boolean;
  compliance: number;
  broken: BrokenLimit[];
  counts: Counts;
}

function unflatten(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const parts = key.split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) {
      if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
      cur = cur[p] as Record<string, unknown>;
    }
    const last = parts[parts.length - 1]!;
    const nested = typeof value === 'object' && value !== null && !Array.isArray(value) ? unflatten(value as Record<string, unknown>) : value;
    if (typeof cur[last] === 'object' && cur[last] !== null && typeof nested === 'object' && nested !== null) Object.assign(cur[last] as object, nested);
    else cur[last] = nested;
  }
  return out;
}

function parseBound(v: unknown, path: string, problems: ThresholdProblem[]): Bound | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) { problems.push({ path, message: 'must be a mapping with min and/or max' }); return undefined; }
  const b: Bound = {};
  for (const [k, n] of Object.entries(v)) {
    if (k !== 'min' && k !== 'max') { problems.push({ path: `${path}.${k}`, message: 'unknown; expected min or max' }); continue; }
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) { problems.push({ path: `${path}.${k}`, message: 'must be a non-negative number' }); continue; }
    b[k] = n;
  }
  if (b.min !== undefined && b.max !== undefined && b.min > b.max) problems.push({ path, message: `min (${b.min}) is greater than max (${b.max})` });
  return b;
}

export function parseThreshold(raw: unknown): { threshold?: Threshold; problems: ThresholdProblem[] } {
  const problems: ThresholdProblem[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problems: [{ path: '', message: 'a threshold must be a mapping' }] };
  const doc = unflatten(raw as Record<string, unknown>);
  const t: Threshold = { statuses: {}, vulnerabilities: {} };
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'compliance') {
      const b = parseBound(value, key, problems);
      if (b && ((b.min ?? 0) > 100 || (b.max ?? 0) > 100)) problems.push({ path: key, message: 'compliance is a percentage (0-100)' });
      t.compliance = b;
    } else if ((CONTROL_STATUSES as readonly string[]).includes(key)) {
      if (typeof value !== 'object' || value === null) { problems.push({ path: key, message: 'must be a mapping of severity to {min,max}' }); continue; }
      const bySeverity: Partial<Record<SafSeverity, Bound>> = {};
      for (const [sev, bound] of Object.entries(value)) {
        if (!(SAF_SEVERITIES as readonly string[]).includes(sev)) { problems.push({ path: `${key}.${sev}`, message: `unknown; expected one of ${SAF_SEVERITIES.join(', ')}` }); continue; }
        const b = parseBound(bound, `${key}.${sev}`, problems);
        if (b) bySeverity[sev as SafSeverity] = b;
      }
      t.statuses[key as ControlStatus] = bySeverity;
    } else if ((VULN_KEYS as readonly string[]).includes(key)) {
      const b = parseBound(value, key, problems);
      if (b) t.vulnerabilities[key as VulnKey] = b;
    } else {
      problems.push({ path: key, message: `unknown; expected compliance, ${CONTROL_STATUSES.join(', ')} or a severity (${VULN_KEYS.join(', ')})` });
    }
  }
  return { threshold: problems.length ? undefined : t, problems };
}

/** SAF's severity bucket. Unknown-severity vulnerabilities count as medium so they cannot slip past limits. */
function safSeverity(s: Severity): Exclude<SafSeverity, 'total'> | undefined {
  if (s === 'unknown') return 'medium';
  return s === 'info' ? undefined : s;
}

export function countFindings(findings: readonly Finding[]): Counts {
  const zero = (): Record<SafSeverity, number> => ({ total: 0, critical: 0, high: 0, medium: 0, low: 0 });
  const statuses = Object.fromEntries(CONTROL_STATUSES.map((s) => [s, zero()])) as Record<ControlStatus, Record<SafSeverity, number>>;
  const vulnerabilities = Object.fromEntries(VULN_KEYS.map((k) => [k, 0])) as Record<VulnKey, number>;
  for (const f of findings) {
    // An impact-less finding is "no impact" in SAF whatever the tool said (info findings).
    const sev = safSeverity(f.severity);
    const status: ControlStatus = sev === undefined && f.status !== 'error' ? 'no_impact' : f.status;
    statuses[status].total++;
    if (sev) statuses[status][sev]++;
    if (f.vulnerability && f.status === 'failed') {
      vulnerabilities.total++;
      vulnerabilities[f.severity]++;
    }
  }
  const s = statuses;
  const denominator = s.passed.total + s.failed.total + s.skipped.total + s.error.total;
  const compliance = denominator === 0 ? 0 : Math.round((100 * s.passed.total) / denominator);
  return { compliance, statuses, vulnerabilities };
}

function check(limit: string, actual: number, bound: Bound | undefined, broken: BrokenLimit[]): void {
  if (!bound) return;
  if (bound.min !== undefined && actual < bound.min) broken.push({ limit: `${limit}.min`, actual, allowed: bound.min });
  if (bound.max !== undefined && actual > bound.max) broken.push({ limit: `${limit}.max`, actual, allowed: bound.max });
}

export function evaluateThreshold(threshold: Threshold, findings: readonly Finding[]): ThresholdResult {
  const counts = countFindings(findings);
  const broken: BrokenLimit[] = [];
  check('compliance', counts.compliance, threshold.compliance, broken);
  for (const status of CONTROL_STATUSES) {
    const bySeverity = threshold.statuses[status];
    if (!bySeverity) continue;
    for (const sev of SAF_SEVERITIES) check(`${status}.${sev}`, counts.statuses[status][sev], bySeverity[sev], broken);
  }
  for (const key of VULN_KEYS) check(key, counts.vulnerabilities[key], threshold.vulnerabilities[key], broken);
  return { passed: broken.length === 0, compliance: counts.compliance, broken, counts };
}

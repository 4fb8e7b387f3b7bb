import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeReport } from '../../src/scan/normalize/index.js';
import { evaluateThreshold, parseThreshold, type Threshold } from '../../src/scan/thresholds.js';

const findingsOf = (name: string) => normalizeReport(JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8'))).findings;

function threshold(raw: unknown): Threshold {
  const { threshold: t, problems } = parseThreshold(raw);
  expect(problems).toEqual([]);
  return t!;
}

// Expected values are worked out by hand with SAF's rules from the fixtures:
// InSpec: 4 root controls, impacts 0.5/0.7/0.5/0.5 -> medium/high/medium/medium;
// 3 passed, 1 failed (medium) -> compliance round(100*3/4) = 75.
// Trivy: 7 vulnerabilities, CRITICAL 2, HIGH 2, MEDIUM 1, LOW 1, UNKNOWN 1 (counted as medium).
describe('SAF thresholds', () => {
  it('InSpec fixture: compliance and per-severity counts as SAF computes them', () => {
    const r = evaluateThreshold(threshold({ compliance: { min: 80 }, failed: { medium: { max: 0 }, high: { max: 0 } }, passed: { high: { min: 1 }, total: { min: 3 } } }), findingsOf('inspec-json-output.json'));
    expect(r.compliance).toBe(75);
    expect(r.counts.statuses.passed).toEqual({ total: 3, critical: 0, high: 1, medium: 2, low: 0 });
    expect(r.counts.statuses.failed).toEqual({ total: 1, critical: 0, high: 0, medium: 1, low: 0 });
    expect(r.passed).toBe(false);
    expect(r.broken).toEqual([
      { limit: 'compliance.min', actual: 75, allowed: 80 },
      { limit: 'failed.medium.max', actual: 1, allowed: 0 },
    ]);
  });

  it('InSpec fixture passes a threshold it meets; flattened SAF keys work', () => {
    const r = evaluateThreshold(threshold({ 'compliance.min': 75, 'failed.medium.max': 1, 'error.total.max': 0, 'skipped.total.max': 0 }), findingsOf('inspec-json-output.json'));
    expect(r).toMatchObject({ passed: true, broken: [] });
  });

  it('Trivy fixture: vulnerability severity counts and SAF failed counts', () => {
    const r = evaluateThreshold(threshold({ critical: { max: 0 }, high: { max: 2 }, total: { max: 5 }, failed: { critical: { max: 1 }, medium: { max: 1 } } }), findingsOf('postee-trivy-input.json'));
    expect(r.counts.vulnerabilities).toMatchObject({ total: 7, critical: 2, high: 2, medium: 1, low: 1, unknown: 1 });
    expect(r.compliance).toBe(0);
    expect(r.broken).toEqual([
      { limit: 'failed.critical.max', actual: 2, allowed: 1 },
      { limit: 'failed.medium.max', actual: 2, allowed: 1 },
      { limit: 'total.max', actual: 7, allowed: 5 },
      { limit: 'critical.max', actual: 2, allowed: 0 },
    ]);
  });

  it('reports bad threshold files with key paths', () => {
    const { problems } = parseThreshold({ compliance: { min: 120 }, failed: { severe: { max: 1 } }, passed: { total: { max: -1 } }, bogus: 1, high: { min: 3, max: 1 } });
    expect(problems.map((p) => p.path).sort()).toEqual(['bogus', 'compliance', 'failed.severe', 'high', 'passed.total.max']);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectFormat, normalizeReport, parseReportText, ReportFormatError } from '../../src/scan/normalize/index.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8'));

describe('report normalizers', () => {
  it('detects each shared fixture by shape', () => {
    expect(detectFormat(fixture('postee-trivy-input.json'))).toBe('trivy');
    expect(detectFormat(fixture('postee-trivy-operator-input.json'))).toBe('trivy-operator');
    expect(detectFormat(fixture('inspec-json-output.json'))).toBe('inspec');
    expect(detectFormat(fixture('securecodebox-findings.json'))).toBe('securecodebox');
    expect(detectFormat({ hello: 1 })).toBeUndefined();
  });

  it('normalizes Trivy vulnerabilities with package and versions', () => {
    const r = normalizeReport(fixture('postee-trivy-input.json'));
    expect(r.artifact).toBe('pom.xml');
    expect(r.findings).toHaveLength(7);
    const log4j = r.findings.find((f) => f.id === 'CVE-2019-17571');
    expect(log4j).toMatchObject({ severity: 'critical', status: 'failed', vulnerability: true, package: 'log4j:log4j', installedVersion: '1.2.17', fixedVersion: '2.0-alpha1', resource: 'pom.xml' });
    expect(r.findings.filter((f) => f.severity === 'unknown')).toHaveLength(1);
  });

  it('normalizes a trivy-operator VulnerabilityReport', () => {
    const r = normalizeReport(fixture('postee-trivy-operator-input.json'));
    expect(r.artifact).toBe('index.docker.io/library/nginx:1.16');
    expect(r.findings.map((f) => [f.id, f.severity, f.package])).toContainEqual(['CVE-2019-20367', 'critical', 'libbsd0']);
    expect(r.findings.every((f) => f.vulnerability)).toBe(true);
  });

  it('normalizes InSpec controls through inspecjs (status and severity from impact)', () => {
    const r = normalizeReport(fixture('inspec-json-output.json'));
    expect(r.findings.map((f) => [f.id.slice(0, 14), f.status, f.severity])).toEqual([
      ['(generated fro', 'passed', 'medium'],
      ['tmp-1.0', 'passed', 'high'],
      ['(generated fro', 'failed', 'medium'],
      ['(generated fro', 'passed', 'medium'],
    ]);
    expect(r.artifact).toBe('mac_os_x 17.2.0');
  });

  it('normalizes secureCodeBox findings; informational ones have no impact', () => {
    const r = normalizeReport(fixture('securecodebox-findings.json'));
    expect(r.findings).toHaveLength(6);
    expect(r.findings.filter((f) => f.status === 'no_impact')).toHaveLength(5);
    expect(r.findings.find((f) => f.severity === 'high')).toMatchObject({ status: 'failed', resource: expect.stringContaining('old-wordpress') });
  });

  it('rejects a report of the wrong format and non-JSON output', () => {
    expect(() => normalizeReport({ Results: 'x' }, 'trivy')).toThrow(ReportFormatError);
    expect(() => normalizeReport([1, 2])).toThrow(/unrecognised report/);
    expect(() => parseReportText('scanning...\nnot json')).toThrow(/not JSON/);
    expect(parseReportText('Downloading DB\n{"a":1}\n')).toEqual({ a: 1 });
  });
});

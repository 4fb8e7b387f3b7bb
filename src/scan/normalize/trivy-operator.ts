// trivy-operator's VulnerabilityReport custom resource (report.vulnerabilities[]).

import type { Finding, NormalizedReport } from '../findings.js';
import { severityOf } from '../findings.js';
import { arr, isObject, ReportFormatError, str } from './fields.js';

export function isVulnerabilityReport(doc: unknown): boolean {
  return isObject(doc) && doc.kind === 'VulnerabilityReport' && isObject(doc.report);
}

/** `registry/repository:tag` as the report names the scanned image. */
export function vulnerabilityReportImage(report: Record<string, unknown>): string | undefined {
  const artifact = isObject(report.artifact) ? report.artifact : {};
  const repo = str(artifact.repository);
  if (!repo) return undefined;
  const registry = isObject(report.registry) ? str(report.registry.server) : undefined;
  const tag = str(artifact.tag);
  const digest = str(artifact.digest);
  return `${registry ? `${registry}/` : ''}${repo}${tag ? `:${tag}` : ''}${!tag && digest ? `@${digest}` : ''}`;
}

export function normalizeTrivyOperator(doc: unknown): NormalizedReport {
  if (!isVulnerabilityReport(doc)) throw new ReportFormatError('not a trivy-operator VulnerabilityReport');
  const report = (doc as { report: Record<string, unknown> }).report;
  const artifact = vulnerabilityReportImage(report);
  const findings: Finding[] = arr(report.vulnerabilities).filter(isObject).map((v) => ({
    id: str(v.vulnerabilityID) ?? 'unknown',
    title: str(v.title) ?? str(v.vulnerabilityID) ?? '',
    severity: severityOf(v.severity),
    status: 'failed' as const,
    vulnerability: true,
    package: str(v.resource),
    installedVersion: str(v.installedVersion),
    fixedVersion: str(v.fixedVersion),
    resource: str(v.target) ?? artifact,
  }));
  const os = isObject(report.os) ? [str(report.os.family), str(report.os.name)].filter(Boolean).join(' ') : undefined;
  return { format: 'trivy-operator', artifact, baseOs: os || undefined, findings };
}

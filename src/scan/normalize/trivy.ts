// Trivy's JSON report (`trivy image --format json`): Results[].Vulnerabilities[].

import type { Finding, NormalizedReport } from '../findings.js';
import { severityOf } from '../findings.js';
import { arr, isObject, ReportFormatError, str } from './fields.js';

export function isTrivyReport(doc: unknown): boolean {
  return isObject(doc) && Array.isArray(doc.Results) && ('ArtifactName' in doc || 'SchemaVersion' in doc);
}

export function normalizeTrivy(doc: unknown): NormalizedReport {
  if (!isTrivyReport(doc)) throw new ReportFormatError('not a Trivy report: expected Results[] and ArtifactName');
  const d = doc as Record<string, unknown>;
  const findings: Finding[] = [];
  for (const result of arr(d.Results)) {
    if (!isObject(result)) continue;
    const target = str(result.Target);
    for (const v of arr(result.Vulnerabilities)) {
      if (!isObject(v)) continue;
      findings.push({
        id: str(v.VulnerabilityID) ?? 'unknown',
        title: str(v.Title) ?? str(v.VulnerabilityID) ?? '',
        severity: severityOf(v.Severity),
        status: 'failed',
        vulnerability: true,
        package: str(v.PkgName),
        installedVersion: str(v.InstalledVersion),
        fixedVersion: str(v.FixedVersion),
        resource: target,
      });
    }
  }
  const meta = isObject(d.Metadata) ? d.Metadata : {};
  const os = isObject(meta.OS) ? [str(meta.OS.Family), str(meta.OS.Name)].filter(Boolean).join(' ') : undefined;
  return { format: 'trivy', artifact: str(d.ArtifactName), baseOs: os || undefined, findings };
}

// The one findings model every scanner report is normalized into, so routes,
// thresholds and the exporter never care which tool produced a result.

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info' | 'unknown';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info', 'unknown'];

/** Control status in SAF's vocabulary; a vulnerability is a `failed` finding. */
export type ControlStatus = 'passed' | 'failed' | 'skipped' | 'no_impact' | 'error';
export const CONTROL_STATUSES: readonly ControlStatus[] = ['passed', 'failed', 'skipped', 'no_impact', 'error'];

export type ReportFormat = 'trivy' | 'trivy-operator' | 'inspec' | 'securecodebox';
export const REPORT_FORMATS: readonly ReportFormat[] = ['trivy', 'trivy-operator', 'inspec', 'securecodebox'];

export interface Finding {
  id: string;
  title: string;
  severity: Severity;
  status: ControlStatus;
  /** True for a vulnerability (counted by the severity limits); false for a compliance control. */
  vulnerability: boolean;
  package?: string;
  installedVersion?: string;
  fixedVersion?: string;
  /** What the finding is about: a file, image, URL, host. */
  resource?: string;
  /** InSpec impact (0..1) when the tool gives one. */
  impact?: number;
}

export interface NormalizedReport {
  format: ReportFormat;
  /** The scanned artifact as the report names it (image, target URL, platform). */
  artifact?: string;
  /** Base OS family/name when the report says (Trivy's Metadata.OS). */
  baseOs?: string;
  findings: Finding[];
}

/** Maps a tool's severity word to ours (unknown words become `unknown`, never dropped). */
export function severityOf(value: unknown): Severity {
  const s = typeof value === 'string' ? value.trim().toLowerCase() : '';
  switch (s) {
    case 'critical': return 'critical';
    case 'high': return 'high';
    case 'medium': case 'moderate': return 'medium';
    case 'low': return 'low';
    case 'info': case 'informational': case 'negligible': case 'none': return 'info';
    default: return 'unknown';
  }
}

// Picks the normalizer for a report, by the format the scanner declares or by
// the report's shape.

import type { NormalizedReport, ReportFormat } from '../findings.js';
import { ReportFormatError } from './fields.js';
import { isInspecReport, normalizeInspec } from './inspec.js';
import { isSecureCodeBoxFindings, normalizeSecureCodeBox } from './securecodebox.js';
import { isTrivyReport, normalizeTrivy } from './trivy.js';
import { isVulnerabilityReport, normalizeTrivyOperator } from './trivy-operator.js';

export { ReportFormatError } from './fields.js';

const NORMALIZERS: Record<ReportFormat, (doc: unknown) => NormalizedReport> = {
  trivy: normalizeTrivy,
  'trivy-operator': normalizeTrivyOperator,
  inspec: normalizeInspec,
  securecodebox: normalizeSecureCodeBox,
};

export function detectFormat(doc: unknown): ReportFormat | undefined {
  if (isVulnerabilityReport(doc)) return 'trivy-operator';
  if (isTrivyReport(doc)) return 'trivy';
  if (isInspecReport(doc)) return 'inspec';
  if (isSecureCodeBoxFindings(doc)) return 'securecodebox';
  return undefined;
}

/** Throws ReportFormatError when the report is not of the given (or any known) format. */
export function normalizeReport(doc: unknown, format: ReportFormat | 'auto' = 'auto'): NormalizedReport {
  const f = format === 'auto' ? detectFormat(doc) : format;
  if (!f) throw new ReportFormatError('unrecognised report: not Trivy, trivy-operator, InSpec or secureCodeBox JSON');
  return NORMALIZERS[f](doc);
}

/** Parses scanner output: the whole text, else the last line that is a JSON document (tools log before the report). */
export function parseReportText(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') throw new ReportFormatError('the scanner produced no report');
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    const start = trimmed.search(/^[[{]/m);
    if (start > 0) {
      try { return JSON.parse(trimmed.slice(start)) as unknown; } catch { /* fall through */ }
    }
    throw new ReportFormatError(`the scanner's output is not JSON (starts with ${JSON.stringify(trimmed.slice(0, 40))})`);
  }
}

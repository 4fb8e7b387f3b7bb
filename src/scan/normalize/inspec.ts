// InSpec / CINC Auditor JSON (`--reporter json`). Status and severity come from
// MITRE's `inspecjs`, the library SAF CLI itself uses, so our threshold counts
// are SAF's counts (waivers, overlays, impact 0, errors all handled there).

import type { ContextualizedProfile } from 'inspecjs';
import { inspecLibrary } from '../../lazy-libraries.js';
import type { ControlStatus, Finding, NormalizedReport, Severity } from '../findings.js';
import { isObject, ReportFormatError, str } from './fields.js';

export function isInspecReport(doc: unknown): boolean {
  return isObject(doc) && Array.isArray(doc.profiles) && (isObject(doc.platform) || 'statistics' in doc);
}

const STATUS: Record<string, ControlStatus | undefined> = {
  Passed: 'passed',
  Failed: 'failed',
  'Not Reviewed': 'skipped',
  'Not Applicable': 'no_impact',
  'Profile Error': 'error',
  // 'From Profile' (a profile with no results) has nothing to count.
};

const SEVERITY: Record<string, Severity> = { none: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };

export function normalizeInspec(doc: unknown): NormalizedReport {
  if (!isInspecReport(doc)) throw new ReportFormatError('not an InSpec JSON report: expected profiles[] and platform');
  let parsed;
  try {
    parsed = inspecLibrary().convertFileContextual(JSON.stringify(doc));
  } catch (e) {
    throw new ReportFormatError(`InSpec report rejected by inspecjs: ${e instanceof Error ? e.message : String(e)}`);
  }
  const profiles: ContextualizedProfile[] = inspecLibrary().isContextualizedEvaluation(parsed) ? parsed.contains : [parsed];
  const findings: Finding[] = [];
  for (const profile of profiles) {
    // Overlaid controls are counted once, at the profile that has the final say (as SAF does).
    for (const control of profile.contains.filter((c) => c.extendedBy.length === 0)) {
      const hdf = control.root.hdf;
      const status = STATUS[hdf.status];
      if (!status) continue;
      const wraps = hdf.wraps as { id: string; title?: string | null; impact?: number };
      findings.push({
        id: wraps.id,
        title: wraps.title ?? wraps.id,
        severity: SEVERITY[hdf.severity] ?? 'unknown',
        status,
        vulnerability: false,
        impact: typeof wraps.impact === 'number' ? wraps.impact : undefined,
        resource: str((profile.data as { name?: string }).name),
      });
    }
  }
  const platform = isObject((doc as Record<string, unknown>).platform) ? (doc as { platform: Record<string, unknown> }).platform : {};
  const artifact = [str(platform.name), str(platform.release)].filter(Boolean).join(' ') || undefined;
  return { format: 'inspec', artifact, baseOs: artifact, findings };
}

// secureCodeBox findings (findings.json: a list of {name, category, severity, location}).

import type { NormalizedReport } from '../findings.js';
import { severityOf } from '../findings.js';
import { isObject, ReportFormatError, str } from './fields.js';

export function isSecureCodeBoxFindings(doc: unknown): boolean {
  return Array.isArray(doc) && doc.length > 0 && doc.every((f) => isObject(f) && 'category' in f && 'severity' in f && 'name' in f);
}

export function normalizeSecureCodeBox(doc: unknown): NormalizedReport {
  if (!Array.isArray(doc) || !doc.every(isObject)) throw new ReportFormatError('not secureCodeBox findings: expected a list of findings');
  const findings = doc.map((f, i) => {
    const severity = severityOf(f.severity);
    return {
      id: str(f.id) ?? `${str(f.category) ?? 'finding'}-${i}`,
      title: str(f.name) ?? '',
      severity,
      // Informational findings are observations, not failures (SAF: no impact).
      status: severity === 'info' ? 'no_impact' as const : 'failed' as const,
      vulnerability: severity !== 'info',
      resource: str(f.location),
    };
  });
  return { format: 'securecodebox', artifact: findings[0]?.resource, findings };
}

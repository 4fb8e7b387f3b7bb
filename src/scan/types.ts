// Shapes shared by the scan queue, runners, API and action.

import type { NormalizedReport, ReportFormat } from './findings.js';
import type { ThresholdResult } from './thresholds.js';

export interface PodTarget { namespace: string; name: string; container?: string }

export type ScanTarget =
  | { image: string }
  | { pod: PodTarget }
  | { url: string };

export interface ScanTrigger {
  /** Id of the event that asked for the scan (API scans: undefined). */
  eventId?: string;
  route?: string;
  hops?: number;
}

export interface ScanRequest {
  scanner: string;
  target: ScanTarget;
  profile?: string;
  threshold?: string;
  timeoutMs?: number;
  trigger?: ScanTrigger;
}

export type ScanState = 'queued' | 'running' | 'passed' | 'failed' | 'error';
export const SCAN_STATES: readonly ScanState[] = ['queued', 'running', 'passed', 'failed', 'error'];

export interface ScanRecord {
  id: string;
  state: ScanState;
  request: ScanRequest;
  /** Identity of the target for the one-scan-at-a-time rule (scanner + target). */
  targetKey: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  attempts: number;
  error?: string;
}

export interface ScanOutcome {
  report: NormalizedReport;
  raw: unknown;
  threshold?: ThresholdResult & { name: string };
}

/** How a scanner's output is read and what it is. */
export interface ReportSpec {
  format: ReportFormat | 'auto';
  /** Read the report from this file in the output dir instead of stdout. */
  file?: string;
}

export function targetKey(scanner: string, target: ScanTarget): string {
  if ('image' in target) return `${scanner}|image|${target.image}`;
  if ('pod' in target) return `${scanner}|pod|${target.pod.namespace}/${target.pod.name}/${target.pod.container ?? ''}`;
  return `${scanner}|url|${target.url}`;
}

export function describeTarget(target: ScanTarget): string {
  if ('image' in target) return target.image;
  if ('pod' in target) return `${target.pod.namespace}/${target.pod.name}${target.pod.container ? `/${target.pod.container}` : ''}`;
  return target.url;
}

// Top-level `scanners:`, `profiles:`, `thresholds:` and `schedules:` of
// cfg.yaml (Hooker's extension; see docs/scanning.md). Returns every problem
// with its key path (and line, when the YAML source is given), like the main
// config validator.

import { isAbsolute, join } from 'node:path';
import { parseDuration } from '../config/duration.js';
import { formatKeyPath, type KeyPath, type Problem } from '../config/problems.js';
import { problemAt, readYamlFile, type YamlSource } from '../config/yaml-source.js';
import { REPORT_FORMATS, type ReportFormat } from './findings.js';
import { parseCron, type CronSpec } from './cron.js';
import { parseThreshold, type Threshold } from './thresholds.js';

export const SCAN_TOP_LEVEL_KEYS = ['scanners', 'profiles', 'thresholds', 'schedules', 'scan-api'] as const;
export const RUNNER_KINDS = ['docker', 'kubernetes-exec', 'kubernetes-job', 'exec', 'http'] as const;
export type RunnerKind = (typeof RUNNER_KINDS)[number];

interface ScannerCommon { name: string; format: ReportFormat | 'auto'; timeoutMs: number }
export type ScannerDef = ScannerCommon & (
  | { runner: 'docker'; image: string; args: string[]; env: Record<string, string>; network?: string; pull: 'if-not-present' | 'always' | 'never'; reportFile?: string; registryAuthFile?: string }
  | { runner: 'exec'; command: string[]; env: Record<string, string> }
  | { runner: 'kubernetes-exec'; command: string[]; env: Record<string, string>; kubeConfigFile?: string; tokenExpirationSeconds: number }
  | { runner: 'kubernetes-job'; image: string; args: string[]; namespace: string; kubeConfigFile?: string }
  | { runner: 'http'; url: string; token?: string; remoteScanner: string; pollMs: number }
);

export interface ProfileDef { name: string; ref: string; description?: string }
export interface ThresholdDef { name: string; threshold: Threshold; source: unknown }
export interface ScheduleDef {
  name: string;
  everyMs?: number;
  cron?: CronSpec;
  /** Extra fields of the emitted scan.scheduled event (e.g. the image to scan). */
  payload: Record<string, unknown>;
}

export interface ScanApiConfig {
  /** Bearer tokens with scopes (values usually `$ENV_VAR`, substituted by the config loader). */
  tokens: Array<{ token: string; scopes: Array<'scans:read' | 'scans:write'> }>;
  /** Scans run at once. */
  concurrency: number;
}

export interface ScanConfig {
  scanners: Map<string, ScannerDef>;
  profiles: Map<string, ProfileDef>;
  thresholds: Map<string, ThresholdDef>;
  schedules: ScheduleDef[];
  api: ScanApiConfig;
}

export interface ScanConfigOptions {
  file: string;
  /** For line numbers in problems. */
  source?: YamlSource;
  /** Where relative `file:` paths of thresholds are resolved (the config's directory). */
  baseDir?: string;
}

export const DEFAULT_SCAN_TIMEOUT_MS = 10 * 60_000;
const MIN_TOKEN_SECONDS = 600; // the apiserver's floor for TokenRequest expirationSeconds

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const NAME = /^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$/i;

const SCANNER_KEYS: Record<RunnerKind, string[]> = {
  docker: ['image', 'args', 'env', 'network', 'pull', 'report-file', 'registry-auth-file'],
  exec: ['command', 'env'],
  'kubernetes-exec': ['command', 'env', 'kube-config-file', 'token-expiration'],
  'kubernetes-job': ['image', 'args', 'namespace', 'kube-config-file'],
  http: ['url', 'token', 'scanner', 'poll-interval'],
};
const COMMON_KEYS = ['runner', 'format', 'timeout'];

export function emptyScanConfig(): ScanConfig {
  return { scanners: new Map(), profiles: new Map(), thresholds: new Map(), schedules: [], api: { tokens: [], concurrency: 2 } };
}

export function parseScanConfig(doc: Obj, opts: ScanConfigOptions): { config: ScanConfig; problems: Problem[] } {
  const problems: Problem[] = [];
  const report = (severity: Problem['severity'], path: KeyPath, message: string): void => {
    problems.push(opts.source ? problemAt(opts.source, severity, path, message) : { severity, file: opts.file, path: formatKeyPath(path), message });
  };
  const error = (path: KeyPath, message: string): void => report('error', path, message);
  const config = emptyScanConfig();

  const section = (key: string): Obj => {
    const v = doc[key];
    if (v === undefined || v === null) return {};
    if (!isObj(v)) { error([key], 'must be a mapping of name to definition'); return {}; }
    for (const name of Object.keys(v)) if (!NAME.test(name)) error([key, name], `"${name}" is not a valid name (letters, digits, - _ .)`);
    return v;
  };
  const str = (o: Obj, key: string, path: KeyPath, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined || v === null || v === '') { if (required) error([...path, key], 'required'); return undefined; }
    if (typeof v !== 'string') { error([...path, key], 'must be a string'); return undefined; }
    return v;
  };
  const list = (o: Obj, key: string, path: KeyPath, required: boolean): string[] => {
    const v = o[key];
    if (v === undefined || v === null) { if (required) error([...path, key], 'required: a list of strings'); return []; }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) { error([...path, key], 'must be a list of strings'); return []; }
    if (required && v.length === 0) error([...path, key], 'must not be empty');
    return v.map(String);
  };
  const env = (o: Obj, path: KeyPath): Record<string, string> => {
    const v = o.env;
    if (v === undefined || v === null) return {};
    if (!isObj(v)) { error([...path, 'env'], 'must be a mapping of name to value'); return {}; }
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
      else error([...path, 'env', k], 'must be a string');
    }
    return out;
  };
  const duration = (o: Obj, key: string, path: KeyPath, fallback: number): number => {
    if (o[key] === undefined || o[key] === null) return fallback;
    const d = parseDuration(o[key]);
    if ('error' in d) { error([...path, key], d.error); return fallback; }
    if (d.ms <= 0) { error([...path, key], 'must be greater than zero'); return fallback; }
    return d.ms;
  };

  for (const [name, raw] of Object.entries(section('scanners'))) {
    const path: KeyPath = ['scanners', name];
    if (!isObj(raw)) { error(path, 'must be a mapping with a runner'); continue; }
    const runner = raw.runner;
    if (typeof runner !== 'string' || !(RUNNER_KINDS as readonly string[]).includes(runner)) {
      error([...path, 'runner'], `required: one of ${RUNNER_KINDS.join(', ')}`);
      continue;
    }
    const kind = runner as RunnerKind;
    for (const k of Object.keys(raw)) {
      if (!COMMON_KEYS.includes(k) && !SCANNER_KEYS[kind].includes(k)) report('warning', [...path, k], `unknown key for runner ${kind} (ignored; known: ${[...COMMON_KEYS, ...SCANNER_KEYS[kind]].join(', ')})`);
    }
    const format = raw.format ?? 'auto';
    if (format !== 'auto' && !(REPORT_FORMATS as readonly unknown[]).includes(format)) error([...path, 'format'], `must be auto or one of ${REPORT_FORMATS.join(', ')}`);
    const common: ScannerCommon = { name, format: format as ReportFormat | 'auto', timeoutMs: duration(raw, 'timeout', path, DEFAULT_SCAN_TIMEOUT_MS) };
    const before = problems.filter((p) => p.severity === 'error').length;
    let def: ScannerDef | undefined;
    switch (kind) {
      case 'docker': {
        const pull = raw.pull ?? 'if-not-present';
        if (pull !== 'if-not-present' && pull !== 'always' && pull !== 'never') error([...path, 'pull'], 'must be if-not-present, always or never');
        def = {
          ...common, runner: 'docker', image: str(raw, 'image', path, true) ?? '', args: list(raw, 'args', path, false), env: env(raw, path),
          network: str(raw, 'network', path, false), pull: pull as 'always', reportFile: str(raw, 'report-file', path, false),
          registryAuthFile: str(raw, 'registry-auth-file', path, false),
        };
        if (def.reportFile?.includes('/')) error([...path, 'report-file'], 'must be a file name (it is written into the mounted output dir)');
        break;
      }
      case 'exec':
        def = { ...common, runner: 'exec', command: list(raw, 'command', path, true), env: env(raw, path) };
        break;
      case 'kubernetes-exec': {
        const seconds = raw['token-expiration'] === undefined ? MIN_TOKEN_SECONDS : Math.round(duration(raw, 'token-expiration', path, MIN_TOKEN_SECONDS * 1000) / 1000);
        if (seconds < MIN_TOKEN_SECONDS) error([...path, 'token-expiration'], `must be at least ${MIN_TOKEN_SECONDS}s (the apiserver's minimum)`);
        def = { ...common, runner: 'kubernetes-exec', command: list(raw, 'command', path, true), env: env(raw, path), kubeConfigFile: str(raw, 'kube-config-file', path, false), tokenExpirationSeconds: seconds };
        break;
      }
      case 'kubernetes-job':
        def = { ...common, runner: 'kubernetes-job', image: str(raw, 'image', path, true) ?? '', args: list(raw, 'args', path, false), namespace: str(raw, 'namespace', path, true) ?? '', kubeConfigFile: str(raw, 'kube-config-file', path, false) };
        break;
      case 'http': {
        const url = str(raw, 'url', path, true);
        if (url) { try { const u = new URL(url); if (!/^https?:$/.test(u.protocol)) throw new Error(); } catch { error([...path, 'url'], `"${url}" is not an http(s) URL`); } }
        def = { ...common, runner: 'http', url: url ?? '', token: str(raw, 'token', path, false), remoteScanner: str(raw, 'scanner', path, true) ?? '', pollMs: duration(raw, 'poll-interval', path, 2000) };
        break;
      }
    }
    if (def && problems.filter((p) => p.severity === 'error').length === before) config.scanners.set(name, def);
  }

  for (const [name, raw] of Object.entries(section('profiles'))) {
    const path: KeyPath = ['profiles', name];
    if (typeof raw === 'string' && raw !== '') { config.profiles.set(name, { name, ref: raw }); continue; }
    if (!isObj(raw)) { error(path, 'must be a profile reference or a mapping with ref'); continue; }
    const ref = str(raw, 'ref', path, true);
    if (ref) config.profiles.set(name, { name, ref, description: str(raw, 'description', path, false) });
  }

  for (const [name, raw] of Object.entries(section('thresholds'))) {
    const path: KeyPath = ['thresholds', name];
    let source: unknown = raw;
    if (isObj(raw) && typeof raw.file === 'string') {
      const file = isAbsolute(raw.file) || !opts.baseDir ? raw.file : join(opts.baseDir, raw.file);
      const read = readYamlFile(file);
      if (read.value === undefined) {
        const first = read.problems.find((p) => p.severity === 'error');
        error([...path, 'file'], `threshold file ${first ? `${first.file}${first.line !== undefined ? `:${first.line}` : ''}: ${first.message}` : `${file} is empty`}`);
        continue;
      }
      source = read.value;
    }
    const parsed = parseThreshold(source);
    for (const p of parsed.problems) error(p.path ? [...path, ...p.path.split('.')] : path, p.message);
    if (parsed.threshold) config.thresholds.set(name, { name, threshold: parsed.threshold, source });
  }

  const schedules = doc.schedules;
  if (schedules !== undefined && schedules !== null) {
    const entries = isObj(schedules) ? Object.entries(schedules) : [];
    if (!isObj(schedules)) error(['schedules'], 'must be a mapping of name to {every|cron, event}');
    for (const [name, raw] of entries) {
      const path: KeyPath = ['schedules', name];
      if (!isObj(raw)) { error(path, 'must be a mapping with every or cron'); continue; }
      const def: ScheduleDef = { name, payload: {} };
      if (raw.every !== undefined && raw.cron !== undefined) error(path, 'give either every or cron, not both');
      else if (raw.every !== undefined) def.everyMs = duration(raw, 'every', path, 0);
      else if (typeof raw.cron === 'string') {
        const c = parseCron(raw.cron);
        if ('error' in c) error([...path, 'cron'], c.error); else def.cron = c;
      } else error(path, 'required: every (a duration) or cron (five fields)');
      if (raw.event !== undefined) {
        if (isObj(raw.event)) def.payload = raw.event; else error([...path, 'event'], 'must be a mapping (fields added to the scan.scheduled event)');
      }
      for (const k of Object.keys(raw)) if (!['every', 'cron', 'event'].includes(k)) report('warning', [...path, k], 'unknown key (ignored; known: every, cron, event)');
      if (def.everyMs || def.cron) config.schedules.push(def);
    }
  }

  const api = doc['scan-api'];
  if (api !== undefined && api !== null) {
    if (!isObj(api)) error(['scan-api'], 'must be a mapping with tokens and concurrency');
    else {
      for (const k of Object.keys(api)) if (k !== 'tokens' && k !== 'concurrency') report('warning', ['scan-api', k], 'unknown key (ignored; known: tokens, concurrency)');
      if (api.concurrency !== undefined) {
        if (typeof api.concurrency !== 'number' || !Number.isInteger(api.concurrency) || api.concurrency < 1) error(['scan-api', 'concurrency'], 'must be a whole number of at least 1');
        else config.api.concurrency = api.concurrency;
      }
      const tokens = api.tokens ?? [];
      if (!Array.isArray(tokens)) error(['scan-api', 'tokens'], 'must be a list of {token, scopes}');
      else tokens.forEach((t: unknown, i: number) => {
        const path: KeyPath = ['scan-api', 'tokens', i];
        if (!isObj(t) || typeof t.token !== 'string' || t.token.length < 16) { error(path, 'needs token (at least 16 characters; use $ENV_VAR) and scopes'); return; }
        const scopes = Array.isArray(t.scopes) ? t.scopes : [];
        if (scopes.length === 0 || !scopes.every((s) => s === 'scans:read' || s === 'scans:write')) { error([...path, 'scopes'], 'must list scans:read and/or scans:write'); return; }
        config.api.tokens.push({ token: t.token, scopes: scopes as Array<'scans:read'> });
      });
    }
  }

  return { config, problems };
}

// Wires the durable queue, the runners and the ingest callback: scans are
// accepted into the store (SQLite, or PostgreSQL shared by replicas: a scan
// is claimed with a lease like a delivery), run with a concurrency limit, normalized, checked
// against their threshold, and their result is posted back into the inbox as
// a scan.completed event.

import type { ScanConfig, ScannerDef, ThresholdDef, ProfileDef } from './config.js';
import { normalizeReport, parseReportText } from './normalize/index.js';
import { evaluateThreshold } from './thresholds.js';
import { scanCompletedEvent } from './events.js';
import type { ScanRunner } from './runners/types.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ScanRows } from '../store/types.js';
import { targetKey, type ScanOutcome, type ScanRecord, type ScanRequest } from './types.js';
import { scanTargetProblem } from './target-check.js';

export type IngestCallback = (event: unknown) => Promise<void>;

export interface ScanServiceOptions {
  store: ScanRows;
  /** How long a claimed scan is this replica's before another may take it over (default 30 min). */
  leaseMs?: number;
  config: ScanConfig;
  /** Builds the runner of a scanner (called once per scanner, lazily). */
  createRunner(def: ScannerDef): ScanRunner;
  ingest: IngestCallback;
  concurrency?: number;
  /** Attempts before a scan interrupted by restarts is marked error. */
  maxAttempts?: number;
  log?(line: string): void;
}

export class ScanRequestError extends Error {
  constructor(message: string, public readonly field: string) {
    super(message);
    this.name = 'ScanRequestError';
  }
}

export interface SubmitResult { id: string; state: ScanRecord['state']; deduplicated: boolean }

export class ScanService {
  readonly store: ScanRows;
  private readonly owner = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private pumping = false;
  private readonly runners = new Map<string, ScanRunner>();
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly waiters = new Map<string, Array<(r: ScanRecord) => void>>();
  private readonly concurrency: number;
  private started = false;
  private stopping = false;

  constructor(private readonly opts: ScanServiceOptions) {
    this.store = opts.store;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
  }

  get config(): ScanConfig { return this.opts.config; }

  private log(line: string): void { this.opts.log?.(line); }

  /** Validates references against config, then queues (or returns the scan already active for the target). */
  async submit(request: ScanRequest): Promise<SubmitResult> {
    const { config } = this.opts;
    if (!config.scanners.has(request.scanner)) throw new ScanRequestError(`unknown scanner "${request.scanner}"`, 'scanner');
    // The one door every target passes (action, API, schedules): nothing that could become a scanner option gets in.
    const targetProblem = scanTargetProblem(request.target);
    if (targetProblem) throw new ScanRequestError(targetProblem, 'target');
    if (request.threshold !== undefined && !config.thresholds.has(request.threshold)) throw new ScanRequestError(`unknown threshold "${request.threshold}"`, 'threshold');
    if (request.profile !== undefined && !config.profiles.has(request.profile)) throw new ScanRequestError(`unknown profile "${request.profile}"`, 'profile');
    const { record, existing } = await this.store.enqueue(request, targetKey(request.scanner, request.target));
    if (existing) this.log(`scan of ${record.targetKey} already ${record.state} as ${record.id}: not queued again`);
    else void this.pump();
    return { id: record.id, state: record.state, deduplicated: existing };
  }

  get(id: string): Promise<ScanRecord | undefined> { return this.store.get(id); }
  outcome(id: string): Promise<ScanOutcome | undefined> { return this.store.outcome(id); }
  profiles(): ProfileDef[] { return [...this.opts.config.profiles.values()]; }
  thresholds(): ThresholdDef[] { return [...this.opts.config.thresholds.values()]; }

  /** Resumes what a previous process left running, sweeps leftovers, starts working. */
  async start(): Promise<void> {
    const { resumed, failed } = await this.store.recover(this.opts.maxAttempts ?? 2);
    for (const id of resumed) this.log(`scan ${id} was running when Hooker stopped: resumed`);
    for (const id of failed) {
      this.log(`scan ${id} was interrupted too often: marked error`);
      await this.publish((await this.store.get(id))!);
    }
    for (const def of this.opts.config.scanners.values()) {
      const runner = this.runnerFor(def);
      if (runner.sweep) {
        const n = await runner.sweep((l) => this.log(l)).catch((e: unknown) => { this.log(`sweep of ${def.name} failed: ${String(e)}`); return 0; });
        if (n > 0) this.log(`swept ${n} object(s) left behind by scanner ${def.name}`);
      }
    }
    this.started = true;
    void this.pump();
  }

  /** Aborts running scans (they are resumed at the next start) and closes runners. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
    for (const r of this.runners.values()) await r.close?.();
  }

  /** Resolves when the scan reaches a terminal state. */
  async waitFor(id: string, timeoutMs = 30_000): Promise<ScanRecord> {
    const cur = await this.store.get(id);
    if (!cur) throw new Error(`no scan ${id}`);
    if (cur.state !== 'queued' && cur.state !== 'running') return cur;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        void this.store.get(id).then((r) => reject(new Error(`scan ${id} still ${r?.state} after ${timeoutMs} ms`)), reject);
      }, timeoutMs);
      const list = this.waiters.get(id) ?? [];
      list.push((r) => { clearTimeout(timer); resolve(r); });
      this.waiters.set(id, list);
    });
  }

  private runnerFor(def: ScannerDef): ScanRunner {
    let r = this.runners.get(def.name);
    if (!r) this.runners.set(def.name, (r = this.opts.createRunner(def)));
    return r;
  }

  private async pump(): Promise<void> {
    if (!this.started || this.stopping || this.pumping) return;
    this.pumping = true;
    try {
      while (this.running.size < this.concurrency && !this.stopping) {
        const rec = await this.store.claimNext({ owner: this.owner, until: Date.now() + (this.opts.leaseMs ?? 30 * 60_000) });
        if (!rec) return;
        const abort = new AbortController();
        const done = this.execute(rec, abort.signal).catch((e: unknown) => this.log(`scan ${rec.id}: ${String(e)}`)).finally(() => {
          this.running.delete(rec.id);
          void this.pump();
        });
        this.running.set(rec.id, { abort, done });
      }
    } catch (e) {
      this.log(`claiming a queued scan failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.pumping = false;
    }
  }

  private async execute(rec: ScanRecord, signal: AbortSignal): Promise<void> {
    const { config } = this.opts;
    const def = config.scanners.get(rec.request.scanner);
    const log = (line: string): void => this.log(`scan ${rec.id}: ${line}`);
    let outcome: ScanOutcome | undefined;
    let error: string | undefined;
    try {
      if (!def) throw new Error(`scanner "${rec.request.scanner}" is no longer configured`);
      const thresholdDef = rec.request.threshold ? config.thresholds.get(rec.request.threshold) : undefined;
      if (rec.request.threshold && !thresholdDef) throw new Error(`threshold "${rec.request.threshold}" is no longer configured`);
      const profile = rec.request.profile ? config.profiles.get(rec.request.profile)?.ref : undefined;
      const output = await this.runnerFor(def).run({
        scanId: rec.id, target: rec.request.target, profile, timeoutMs: rec.request.timeoutMs ?? def.timeoutMs, signal, log,
      });
      const raw = parseReportText(output.text);
      const report = normalizeReport(raw, def.format);
      outcome = { report, raw };
      if (thresholdDef) outcome.threshold = { name: thresholdDef.name, ...evaluateThreshold(thresholdDef.threshold, report.findings) };
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (signal.aborted && this.stopping) {
      // Shutting down: the row stays `running` and recover() resumes it next start.
      log('interrupted by shutdown; will be resumed');
      return;
    }
    const state = error !== undefined ? 'error' : outcome?.threshold && !outcome.threshold.passed ? 'failed' : 'passed';
    await this.store.finish(rec.id, state, outcome, error);
    log(error ? `error: ${error}` : `${state}${outcome?.threshold ? ` (${outcome.threshold.broken.length} limit(s) broken)` : ''}`);
    const final = (await this.store.get(rec.id))!;
    await this.publish(final, outcome);
    for (const w of this.waiters.get(rec.id) ?? []) w(final);
    this.waiters.delete(rec.id);
  }

  private async publish(rec: ScanRecord, outcome?: ScanOutcome): Promise<void> {
    try {
      await this.opts.ingest(scanCompletedEvent(rec, outcome));
    } catch (e) {
      this.log(`scan ${rec.id}: posting scan.completed failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

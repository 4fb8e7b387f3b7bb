// `runner: http`: asks another Hooker's scan API to scan (chained Hookers),
// polls until the remote scan ends and returns its raw report.

import { abortableDelay, ScanRunError, type RunContext, type RunOutput, type ScanRunner } from './types.js';

export interface HttpRunnerConfig {
  url: string;
  token?: string;
  remoteScanner: string;
  pollMs: number;
}

export class HttpRunner implements ScanRunner {
  readonly kind = 'http';
  constructor(private readonly cfg: HttpRunnerConfig) {}

  async run(ctx: RunContext): Promise<RunOutput> {
    const base = this.cfg.url.replace(/\/+$/, '');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.cfg.token) headers.authorization = `Bearer ${this.cfg.token}`;
    const deadline = Date.now() + ctx.timeoutMs;
    const call = async (path: string, init: RequestInit = {}): Promise<Record<string, unknown>> => {
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]);
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { ...init, headers, signal });
      } catch (e) {
        throw new ScanRunError(`${base}${path}: ${e instanceof Error ? e.message : String(e)}`, Date.now() >= deadline);
      }
      const body = await res.json().catch(() => ({})) as Record<string, unknown>;
      if (!res.ok) throw new ScanRunError(`${base}${path} answered ${res.status}: ${String(body.message ?? body.error ?? '')}`);
      return body;
    };
    const { profile: _p, ...target } = { ...ctx.target, profile: undefined };
    const created = await call('/api/v1/scans', { method: 'POST', body: JSON.stringify({ scanner: this.cfg.remoteScanner, target }) });
    const id = String(created.id);
    ctx.log(`remote scan ${id} at ${base}`);
    for (;;) {
      const status = await call(`/api/v1/scans/${encodeURIComponent(id)}`);
      if (status.state === 'error') throw new ScanRunError(`remote scan ${id} failed: ${String(status.error ?? 'unknown error')}`);
      if (status.state === 'passed' || status.state === 'failed') break;
      if (Date.now() + this.cfg.pollMs > deadline) throw new ScanRunError(`remote scan ${id} not finished within ${ctx.timeoutMs} ms`, true);
      await abortableDelay(this.cfg.pollMs, ctx.signal);
    }
    const results = await call(`/api/v1/scans/${encodeURIComponent(id)}/results`);
    return { text: JSON.stringify(results.report) };
  }
}

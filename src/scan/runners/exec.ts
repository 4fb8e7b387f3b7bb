// `runner: exec`: a local command; the report is its stdout. Also the
// process runner the kubernetes-exec workflow uses for cinc-auditor.

import { spawn } from 'node:child_process';
import { expandArgs, ScanRunError, type RunContext, type RunOutput, type ScanRunner } from './types.js';

export interface ExecRunnerConfig {
  command: string[];
  env?: Record<string, string>;
}

const MAX_REPORT_BYTES = 64 * 1024 * 1024;

/** Runs argv to completion; rejects on timeout/abort (process group killed) or a non-zero exit without output. */
export function runProcess(argv: string[], env: NodeJS.ProcessEnv, ctx: Pick<RunContext, 'timeoutMs' | 'signal' | 'log'>, okExitCodes: readonly number[] = [0]): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let size = 0;
    let errTail = '';
    let stopped: string | undefined;
    child.stdout.on('data', (c: Buffer) => { size += c.length; if (size <= MAX_REPORT_BYTES) out.push(c); });
    child.stderr.on('data', (c: Buffer) => { errTail = (errTail + c.toString('utf8')).slice(-2000); });
    const kill = (why: string): void => {
      stopped = why;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    };
    const timer = setTimeout(() => kill(`timed out after ${ctx.timeoutMs} ms`), ctx.timeoutMs);
    const onAbort = (): void => kill('aborted');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => { clearTimeout(timer); reject(new ScanRunError(`cannot run ${argv[0]}: ${e.message}`)); });
    child.on('close', (code) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      for (const line of errTail.split('\n').filter(Boolean).slice(-20)) ctx.log(`stderr: ${line}`);
      if (stopped) { reject(new ScanRunError(`${argv[0]} ${stopped}`, stopped.startsWith('timed out'))); return; }
      if (size > MAX_REPORT_BYTES) { reject(new ScanRunError(`${argv[0]} wrote more than ${MAX_REPORT_BYTES} bytes`)); return; }
      const text = Buffer.concat(out).toString('utf8');
      // Scanners such as InSpec exit non-zero when controls fail: the report still counts.
      if (!okExitCodes.includes(code ?? -1) && text.trim() === '') { reject(new ScanRunError(`${argv[0]} exited with code ${code}: ${errTail.trim().split('\n').pop() ?? ''}`)); return; }
      resolve({ text });
    });
  });
}

export class ExecRunner implements ScanRunner {
  readonly kind = 'exec';
  constructor(private readonly cfg: ExecRunnerConfig, private readonly env: NodeJS.ProcessEnv) {}

  run(ctx: RunContext): Promise<RunOutput> {
    const argv = expandArgs(this.cfg.command, ctx);
    ctx.log(`running ${argv[0]}`);
    return runProcess(argv, { ...this.env, ...this.cfg.env }, ctx);
  }
}

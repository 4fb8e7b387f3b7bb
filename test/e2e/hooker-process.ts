// Starts `hooker serve` as a child process on a free port and waits for it.
// Each process gets its own SQLite file unless HOOKER_DB is given (a
// restarted process reuses its predecessor's file that way).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface HookerProcess {
  url: string;
  db: string;
  /** The process id (what a command it runs sees as its parent). */
  pid: number;
  output(): string;
  /** What the process wrote to stdout only (action output) and to stderr only (the log). */
  stdout(): string;
  stderr(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** Sends a signal and waits for the exit (SIGKILL for a crash). */
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs the built CLI (test/global-setup.ts keeps dist/ current); startup can still take long on a loaded machine.
 * `entry`: another script to run instead of bin/hooker.js (relative to the repository), given the same arguments.
 */
export async function startHooker(env: Record<string, string>, opts: { startTimeoutMs?: number; entry?: string } = {}): Promise<HookerProcess> {
  const db = env['HOOKER_DB'] ?? join(mkdtempSync(join(tmpdir(), 'hooker-db-')), 'hooker.db');
  const child: ChildProcess = spawn(process.execPath, [opts.entry ?? 'bin/hooker.js', 'serve'], {
    cwd: repo,
    env: { ...process.env, HOOKER_HTTP: '127.0.0.1:0', HOOKER_HTTPS: '', ...env, HOOKER_DB: db },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => { out += b; stdout += b; });
  child.stderr!.on('data', (b) => { out += b; stderr += b; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`hooker did not start:\n${out}`)); }, opts.startTimeoutMs ?? 60_000);
    const check = () => {
      const m = /serving .* on (http:\/\/[^\s"]+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    };
    child.stderr!.on('data', check);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`hooker exited ${code}:\n${out}`)); });
  });
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url, db, pid: child.pid!, output: () => out, stdout: () => stdout, stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => { await kill('SIGTERM'); }, kill,
  };
}

/** Runs a one-shot CLI command (`hooker validate`, `hooker deliveries`, ...) as a user would. */
export function runHooker(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/hooker.js', ...args], { cwd: repo, env: { ...process.env, HOOKER_HTTP: '', HOOKER_HTTPS: '', ...env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr, out: stdout + stderr });
    });
  });
}

/**
 * The one-route config the process tests share: every event to one http
 * action at `url` with the bundled raw-json template. `extra` is more YAML
 * lines of the action (e.g. "retry-backoff: 50ms").
 */
export function oneRouteConfig(url: string, opts: { route: string; concurrency: number; extra?: string[] }): string {
  return `
routes:
  - name: ${opts.route}
    actions: [receiver]
    template: raw-json
templates:
  - name: raw-json
    rego-package: hooker.rawmessage.json
actions:
  - name: receiver
    type: http
    enable: true
    url: ${url}
    concurrency: ${opts.concurrency}
${(opts.extra ?? []).map((l) => `    ${l}\n`).join('')}`;
}

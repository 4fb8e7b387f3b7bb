// `exec`: runs the configured script with /bin/sh. The script text comes only
// from cfg.yaml (`exec-script`, or the `input-file` path); the event reaches
// it only as data: a file (HOOKER_EVENT_FILE), stdin, and the environment
// (HOOKER_EVENT and POSTEE_EVENT, when it fits), never as shell text or argv.
// Scripts get a minimal environment: Hooker's own tokens and secrets never
// reach them unless the operator passes them by name.

import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Action, ActionFactory, ConfigProblem, DeliveryContext, DeliveryResult } from './types.js';
import { defineAction } from './define.js';
import { parseJsonObject } from './http.js';

export const EXEC_DEFAULT_TIMEOUT_MS = 60_000;
const OUTPUT_CAP = 64 * 1024;

export interface ExecSpec {
  name: string;
  /** Inline script (run as `sh -c script`) or a script file (run as `sh file`). */
  script: { inline: string } | { file: string };
  env: Record<string, string>;
  timeoutMs: number;
  shell?: string;
  /** `inherit-env: true`: the server's environment (without Hooker's secrets) instead of the minimal one. */
  inheritEnv?: boolean;
  /** The server's environment (default process.env). */
  serverEnv?: NodeJS.ProcessEnv;
}

/** Linux refuses one environment string over 128 KiB (MAX_ARG_STRLEN) with E2BIG. */
export const MAX_ENV_STRING_BYTES = 128 * 1024;
/** What a script sees of the server's environment by default. */
export const BASE_ENV_NAMES = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Hooker's own credentials (HOOKER_TOKEN, HOOKER_ADMIN_TOKEN, HOOKER_HMAC_SECRET, ...): kept from scripts even with inherit-env. */
export function isHookerSecret(name: string): boolean {
  return /^(HOOKER|POSTEE)_/i.test(name) && /TOKEN|SECRET|PASSWORD|KEY|CREDENTIAL/i.test(name);
}

/** The environment a script starts with, before the event variables. */
export function scriptBaseEnv(serverEnv: NodeJS.ProcessEnv, inherit: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (inherit) {
    for (const [k, v] of Object.entries(serverEnv)) if (v !== undefined && !isHookerSecret(k)) out[k] = v;
    return out;
  }
  for (const k of BASE_ENV_NAMES) { const v = serverEnv[k]; if (v !== undefined) out[k] = v; }
  out['PATH'] ??= DEFAULT_PATH;
  return out;
}

function fitsEnv(name: string, value: string): boolean {
  return Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1 <= MAX_ENV_STRING_BYTES;
}

function parseEnvList(list: string[], problems: ConfigProblem[]): Record<string, string> {
  const env: Record<string, string> = {};
  list.forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) problems.push({ path: `env[${i}]`, message: `"${entry}" must be NAME=value` });
    else env[entry.slice(0, eq)] = entry.slice(eq + 1);
  });
  return env;
}

function capped(chunks: Buffer[], total: number): string {
  const text = Buffer.concat(chunks).toString('utf8');
  return total > OUTPUT_CAP ? `${text}\n[... ${total - OUTPUT_CAP} more bytes dropped]` : text;
}

export function createExecAction(spec: ExecSpec): Action {
  const shell = spec.shell ?? '/bin/sh';
  const argv = 'inline' in spec.script ? ['-c', spec.script.inline] : [spec.script.file];
  return {
    name: spec.name,
    type: 'exec',
    deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
      // The event in a private file: scripts read big events from it (or
      // from stdin) since the environment cannot carry them.
      const dir = mkdtempSync(join(tmpdir(), 'hooker-exec-'));
      const eventFile = join(dir, 'event.json');
      writeFileSync(eventFile, ctx.message.body, { mode: 0o600 });
      const cleanup = () => { try { rmSync(dir, { recursive: true, force: true }); } catch { /* tmpdir cleaners get it */ } };
      return new Promise<DeliveryResult>((resolve) => {
        const body = ctx.message.body;
        const fits = fitsEnv('HOOKER_EVENT', body);
        const env: Record<string, string> = {
          ...scriptBaseEnv(spec.serverEnv ?? process.env, spec.inheritEnv === true),
          ...spec.env,
          ...(fits ? { HOOKER_EVENT: body, POSTEE_EVENT: body } : {}),
          HOOKER_EVENT_FILE: eventFile,
          HOOKER_EVENT_BYTES: String(Buffer.byteLength(body)),
          HOOKER_ROUTE: ctx.routeName,
          HOOKER_EVENT_ID: ctx.eventId,
          HOOKER_DELIVERY_ID: ctx.deliveryId,
        };
        if (!fits) ctx.log(`the event (${Buffer.byteLength(body)} bytes) is too large for HOOKER_EVENT: the script gets it in HOOKER_EVENT_FILE and on stdin only`);
        // detached: the script gets its own process group so a timeout kills
        // everything it started, not only the shell.
        let child;
        try {
          child = spawn(shell, argv, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
        } catch (e) {
          resolve(startFailure(shell, e as NodeJS.ErrnoException));
          return;
        }
        // A script that never reads stdin closes it early: that is no failure.
        child.stdin.on('error', () => {});
        child.stdin.end(body);
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outBytes = 0;
        let errBytes = 0;
        child.stdout.on('data', (b: Buffer) => { if (outBytes < OUTPUT_CAP) out.push(b.subarray(0, OUTPUT_CAP - outBytes)); outBytes += b.length; });
        child.stderr.on('data', (b: Buffer) => { if (errBytes < OUTPUT_CAP) err.push(b.subarray(0, OUTPUT_CAP - errBytes)); errBytes += b.length; });
        let killedFor: string | undefined;
        const kill = (why: string) => {
          if (killedFor || child.exitCode !== null) return;
          killedFor = why;
          try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
        };
        const timer = setTimeout(() => kill(`timed out after ${spec.timeoutMs} ms`), spec.timeoutMs);
        const onAbort = () => kill('aborted');
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        child.on('error', (e) => {
          clearTimeout(timer);
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(startFailure(shell, e as NodeJS.ErrnoException));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          ctx.signal.removeEventListener('abort', onAbort);
          const stdout = capped(out, outBytes);
          const stderr = capped(err, errBytes);
          if (stdout) ctx.log(`stdout: ${stdout.trimEnd()}`);
          if (stderr) ctx.log(`stderr: ${stderr.trimEnd()}`);
          if (killedFor) resolve({ ok: false, detail: `script ${killedFor}` });
          else if (code === 0) {
            // JSON on stdout is offered as an event update (applied for ReadAndWrite actions).
            const update = out.length && outBytes <= OUTPUT_CAP ? parseJsonObject(stdout) : undefined;
            resolve({ ok: true, detail: 'script exited 0', ...(update !== undefined ? { eventUpdate: update } : {}) });
          }
          else resolve({ ok: false, detail: code !== null ? `script exited ${code}` : `script killed by ${signal}` });
        });
      }).finally(cleanup);
    },
  };
}

/** E2BIG (environment too large) fails the same way on every attempt: it goes straight to dead. */
function startFailure(shell: string, e: NodeJS.ErrnoException): DeliveryResult {
  const retryable = e.code !== 'E2BIG';
  return { ok: false, retryable, detail: `could not start ${shell}: ${e.message}${retryable ? '' : ' (the environment given to the script is too large; not retried)'}` };
}

export const execAction: ActionFactory = defineAction({
  type: 'exec',
  keys: ['exec-script', 'input-file', 'env', 'timeout', 'inherit-env'],
  parse(r, env) {
    const inline = r.string('exec-script');
    const file = r.string('input-file');
    const envList = parseEnvList(r.stringList('env'), r.problems);
    const timeoutMs = r.timeout('timeout', EXEC_DEFAULT_TIMEOUT_MS);
    const inheritEnv = r.bool('inherit-env', false);
    if (inline && file) r.problems.push({ path: 'exec-script', message: 'give either exec-script or input-file, not both' });
    if (!inline && !file) r.problems.push({ path: 'exec-script', message: 'one of exec-script (inline script) or input-file (script path) is required' });
    if (file && !inline) {
      try { accessSync(file, constants.R_OK); } catch { r.problems.push({ path: 'input-file', message: `script file ${file} cannot be read` }); }
    }
    if (r.problems.length) return undefined;
    const shell = env['HOOKER_SHELL'] || '/bin/sh';
    return { script: inline ? { inline } : { file: file! }, env: envList, timeoutMs, shell, inheritEnv, serverEnv: env };
  },
  build: (s, { name }) => createExecAction({ name, ...s }),
});

// `exec`: runs the configured script with /bin/sh. The script text comes only
// from cfg.yaml (`exec-script`, or the `input-file` path); the event reaches
// it only through the environment (HOOKER_EVENT, and POSTEE_EVENT for
// Postee scripts), never as shell text or argv.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
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
      return new Promise((resolve) => {
        const env = {
          ...process.env,
          ...spec.env,
          HOOKER_EVENT: ctx.message.body,
          POSTEE_EVENT: ctx.message.body,
          HOOKER_ROUTE: ctx.routeName,
          HOOKER_EVENT_ID: ctx.eventId,
          HOOKER_DELIVERY_ID: ctx.deliveryId,
        };
        // detached: the script gets its own process group so a timeout kills
        // everything it started, not only the shell.
        const child = spawn(shell, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
          resolve({ ok: false, detail: `could not start ${shell}: ${e.message}` });
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
      });
    },
  };
}

export const execAction: ActionFactory = defineAction({
  type: 'exec',
  keys: ['exec-script', 'input-file', 'env', 'timeout'],
  parse(r, env) {
    const inline = r.string('exec-script');
    const file = r.string('input-file');
    const envList = parseEnvList(r.stringList('env'), r.problems);
    const timeoutMs = r.timeout('timeout', EXEC_DEFAULT_TIMEOUT_MS);
    if (inline && file) r.problems.push({ path: 'exec-script', message: 'give either exec-script or input-file, not both' });
    if (!inline && !file) r.problems.push({ path: 'exec-script', message: 'one of exec-script (inline script) or input-file (script path) is required' });
    if (file && !inline) {
      try { accessSync(file, constants.R_OK); } catch { r.problems.push({ path: 'input-file', message: `script file ${file} cannot be read` }); }
    }
    if (r.problems.length) return undefined;
    const shell = env['HOOKER_SHELL'] || '/bin/sh';
    return { script: inline ? { inline } : { file: file! }, env: envList, timeoutMs, shell };
  },
  build: (s, { name }) => createExecAction({ name, ...s }),
});

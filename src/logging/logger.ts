// The server's structured log: pino (the logger Fastify carries), one JSON
// object per line on stderr with `level` and `time`; HOOKER_LOG_FORMAT=pretty
// writes the same records as short human lines instead. Secrets in URLs are
// masked in every record (see redact.ts). stdout stays free for action
// output (the stdout action).
//
// Pretty printing is a small formatter here rather than pino-pretty: it needs
// no extra dependency or worker thread, and writes synchronously, so the last
// lines before a crash are not lost.

import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/env.js';
import { redactFields, redactSecrets } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  /** Where lines go (stderr by default); tests pass a collector. */
  destination?: DestinationStream;
}

const LEVEL_NAMES: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR', fatal: 'FATAL' };

/** One JSON record as `HH:MM:SS.mmm LEVEL message key=value ...`. */
export function prettyLine(json: string): string {
  let rec: Record<string, unknown>;
  try { rec = JSON.parse(json) as Record<string, unknown>; } catch { return json; }
  const { level, time, msg, pid: _pid, hostname: _host, err, ...rest } = rec;
  const t = typeof time === 'string' ? time.slice(11, 23) : '';
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const error = err && typeof err === 'object' ? `\n    ${String((err as { stack?: string; message?: string }).stack ?? (err as { message?: string }).message).replace(/\n/g, '\n    ')}` : '';
  return `${t} ${LEVEL_NAMES[String(level)] ?? String(level)} ${String(msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}${error}\n`;
}

function prettyStream(out: DestinationStream): DestinationStream {
  return { write: (s: string) => { for (const line of s.split('\n')) if (line) out.write(prettyLine(line)); } };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const sink = opts.destination ?? pino.destination({ fd: 2, sync: true });
  return pino({
    level: opts.level ?? 'info',
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redactFields(obj),
    },
    hooks: {
      // Messages are often built from details (URLs included): mask them too.
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
    serializers: {
      err: (e: Error) => {
        const s = pino.stdSerializers.err(e);
        return { ...s, message: redactSecrets(s.message), stack: redactSecrets(s.stack ?? '') };
      },
    },
  }, opts.format === 'pretty' ? prettyStream(sink) : sink);
}

/** A logger that writes nothing (library use and tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

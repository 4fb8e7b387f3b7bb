// `syslog`: one RFC 5424 message per delivery, over UDP (RFC 5426), TCP with
// octet-counting framing (RFC 6587 §3.4.1) or TLS (RFC 5425, same framing).
// The MSG part is the template's result on one line (JSON stays JSON).

import { createSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { htmlToText, truncateText } from './message-text.js';
import { describeError } from './http-output.js';

/** In RFC 5424 code order (kern = 0 ... local7 = 23). */
export const SYSLOG_FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'] as const;
export const SYSLOG_SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;
/** Largest UDP payload (IPv4); longer messages are cut with a notice. */
const UDP_MAX = 65_507;
const TCP_MAX = 256 * 1024;

const header = (s: string, max: number) => (s.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-');

export function rfc5424(opts: { facility: number; severity: number; hostname: string; appName: string; msgId: string; message: string; now?: Date }): string {
  const pri = opts.facility * 8 + opts.severity;
  const ts = (opts.now ?? new Date()).toISOString();
  return `<${pri}>1 ${ts} ${header(opts.hostname, 255)} ${header(opts.appName, 48)} ${process.pid} ${header(opts.msgId, 32)} - ${opts.message}`;
}

/** Octet-counting frame: "<length in bytes> <message>". */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message);
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

function sendStream(socket: Socket, frame: Buffer, signal: AbortSignal, timeoutMs: number, connectEvent: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => socket.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => socket.destroy(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (e?: Error) => { clearTimeout(timer); signal.removeEventListener('abort', onAbort); if (e) reject(e); else resolve(); };
    socket.once('error', done);
    socket.once(connectEvent, () => socket.end(frame, () => done()));
  });
}

export const syslogAction = defineAction({
  type: 'syslog',
  keys: ['host', 'port', 'protocol', 'facility', 'severity', 'app-name', 'hostname', 'tls-verify', 'ca-file', 'timeout'],
  parse(r) {
    const host = r.string('host', true);
    const protocol = r.oneOf('protocol', ['udp', 'tcp', 'tls'] as const, 'udp');
    const port = r.int('port', protocol === 'tls' ? 6514 : 514, 1, 65_535);
    const facility = SYSLOG_FACILITIES.indexOf(r.oneOf('facility', SYSLOG_FACILITIES, 'local0'));
    const severity = SYSLOG_SEVERITIES.indexOf(r.oneOf('severity', SYSLOG_SEVERITIES, 'warning'));
    let ca: Buffer | undefined;
    const caFile = r.string('ca-file');
    if (caFile) { try { ca = readFileSync(caFile); } catch (e) { r.problem('ca-file', `cannot read ${caFile}: ${(e as Error).message}`); } }
    if (!host) return undefined;
    return {
      host, port, protocol, facility, severity, appName: r.string('app-name') ?? 'hooker', hostname: r.string('hostname') ?? hostname(),
      tlsVerify: r.bool('tls-verify', true), ca, timeoutMs: r.timeout('timeout', 10_000),
    };
  },
  build(s, { name }) {
    return {
      name,
      type: 'syslog',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const max = s.protocol === 'udp' ? UDP_MAX - 512 : TCP_MAX;
        const text = htmlToText(ctx.message.body).replace(/\r?\n/g, ' ');
        const msg = truncateText(ctx.message.title.trim() && !text.startsWith('{') ? `${ctx.message.title.trim()}: ${text}` : text, max, ctx.message.url);
        const line = rfc5424({ facility: s.facility, severity: s.severity, hostname: s.hostname, appName: s.appName, msgId: ctx.routeName, message: msg });
        const where = `syslog ${s.protocol}://${s.host}:${s.port}`;
        try {
          if (s.protocol === 'udp') {
            const sock = createSocket(s.host.includes(':') ? 'udp6' : 'udp4');
            try {
              await new Promise<void>((resolve, reject) => sock.send(Buffer.from(line), s.port, s.host, (e) => (e ? reject(e) : resolve())));
            } finally { sock.close(); }
          } else if (s.protocol === 'tcp') {
            await sendStream(tcpConnect({ host: s.host, port: s.port }), octetFrame(line), ctx.signal, s.timeoutMs, 'connect');
          } else {
            await sendStream(tlsConnect({ host: s.host, port: s.port, rejectUnauthorized: s.tlsVerify, ...(s.ca ? { ca: s.ca } : {}), servername: /^[\d.:]+$/.test(s.host) ? undefined : s.host }), octetFrame(line), ctx.signal, s.timeoutMs, 'secureConnect');
          }
        } catch (e) {
          return { ok: false, retryable: true, detail: `${where}: ${describeError(e, s.timeoutMs)}` };
        }
        return { ok: true, detail: `${where}: sent ${Buffer.byteLength(line)} bytes` };
      },
    };
  },
});

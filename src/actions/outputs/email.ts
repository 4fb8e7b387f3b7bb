// `email`: sends the message by SMTP with nodemailer. Postee's keys: `host`,
// `port`, `user`, `password`, `sender`, `recipients`, `client-host-name`
// (the EHLO name), `use-mx` (deliver straight to each recipient domain's MX
// hosts on port 25 instead of a relay). TLS: `secure: true` is TLS from the
// first byte (default when port is 465); otherwise STARTTLS is used when the
// server offers it, and `require-tls: true` refuses to send without it.
// SMTP 4xx answers are retried, 5xx are final (with the server's text).

import { resolveMx } from 'node:dns/promises';
import { nodemailer } from '../../lazy-libraries.js';
import type { DeliveryContext, DeliveryResult } from '../types.js';
import { defineAction } from '../define.js';
import { describeError } from './http-output.js';

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export interface EmailSettings {
  host?: string;
  port: number;
  user?: string;
  password?: string;
  sender: string;
  recipients: string[];
  clientHostName?: string;
  useMx: boolean;
  secure: boolean;
  requireTls: boolean;
  tlsVerify: boolean;
  timeoutMs: number;
}

type MxResolver = (domain: string) => Promise<Array<{ exchange: string; priority: number }>>;

/** MX hosts of a domain, best first; the domain itself when it has none (RFC 5321 §5.1). */
export async function mxHosts(domain: string, resolve: MxResolver = resolveMx): Promise<string[]> {
  try {
    const mx = await resolve(domain);
    if (mx.length) return mx.sort((a, b) => a.priority - b.priority).map((m) => m.exchange);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENODATA' && (e as NodeJS.ErrnoException).code !== 'ENOTFOUND') throw e;
  }
  return [domain];
}

const looksHtml = (s: string) => /<(html|body|p|div|table|br|h[1-6]|ul|b|a)\b/i.test(s);

function smtpFailure(e: unknown, where: string, timeoutMs: number): DeliveryResult {
  const err = e as { responseCode?: number; response?: string; code?: string };
  if (typeof err.responseCode === 'number') {
    const text = `${where} answered ${err.response ?? err.responseCode}`;
    return { ok: false, retryable: err.responseCode < 500, detail: text };
  }
  if (err.code === 'EAUTH') return { ok: false, retryable: false, detail: `${where}: authentication failed` };
  return { ok: false, retryable: true, detail: `${where}: ${describeError(e, timeoutMs)}` };
}

export const emailAction = defineAction<EmailSettings>({
  type: 'email',
  keys: ['host', 'port', 'user', 'password', 'sender', 'recipients', 'client-host-name', 'use-mx', 'UseMX', 'secure', 'require-tls', 'tls-verify', 'timeout'],
  secrets: ['password'],
  parse(r) {
    const useMx = r.bool('use-mx', false) || r.bool('UseMX', false);
    const host = r.string('host', !useMx);
    const secure = r.bool('secure', false);
    const port = r.int('port', useMx ? 25 : secure ? 465 : 587, 1, 65_535);
    const user = r.string('user');
    const password = r.secret('password');
    if (user && !password) r.problem('password', '"password" is required with "user"');
    const sender = r.string('sender', true);
    if (sender && !EMAIL.test(sender.replace(/^.*<(.+)>$/, '$1'))) r.problem('sender', `"${sender}" is not an email address`);
    const recipients = r.stringList('recipients').filter((x) => x.trim() !== '');
    if (recipients.length === 0) r.problem('recipients', 'at least one recipient is required');
    recipients.forEach((x, i) => { if (!EMAIL.test(x)) r.problem(`recipients[${i}]`, `"${x}" is not an email address`); });
    if (!sender) return undefined;
    return {
      host, port, user, password, sender, recipients, clientHostName: r.string('client-host-name'), useMx,
      secure: secure || (!r.has('secure') && port === 465), requireTls: r.bool('require-tls', false), tlsVerify: r.bool('tls-verify', true),
      timeoutMs: r.timeout('timeout', 60_000),
    };
  },
  build(s, { name }) {
    const transport = (host: string) => nodemailer().createTransport({
      host, port: s.port, secure: s.secure, requireTLS: s.requireTls,
      ...(s.user ? { auth: { user: s.user, pass: s.password ?? '' } } : {}),
      ...(s.clientHostName ? { name: s.clientHostName } : {}),
      tls: { rejectUnauthorized: s.tlsVerify },
      connectionTimeout: s.timeoutMs, greetingTimeout: s.timeoutMs, socketTimeout: s.timeoutMs,
    });
    const relay = s.host ? transport(s.host) : undefined;
    return {
      name,
      type: 'email',
      async deliver(ctx: DeliveryContext): Promise<DeliveryResult> {
        const body = ctx.message.body;
        const mail = {
          from: s.sender,
          subject: ctx.message.title.trim() || 'Hooker alert',
          ...(looksHtml(body) ? { html: body } : { text: body }),
          headers: { 'X-Hooker-Delivery-Id': ctx.deliveryId },
        };
        if (!s.useMx) {
          try {
            const info = await relay!.sendMail({ ...mail, to: s.recipients });
            return { ok: true, detail: `${s.host} accepted the mail for ${info.accepted.length} recipient(s)`, changed: [`mail ${info.messageId} sent`] };
          } catch (e) {
            return smtpFailure(e, `SMTP ${s.host}:${s.port}`, s.timeoutMs);
          }
        }
        // use-mx: one transaction per recipient domain, to its best reachable MX.
        const byDomain = new Map<string, string[]>();
        for (const to of s.recipients) {
          const domain = to.split('@')[1]!.toLowerCase();
          byDomain.set(domain, [...(byDomain.get(domain) ?? []), to]);
        }
        const sent: string[] = [];
        for (const [domain, to] of byDomain) {
          let last: DeliveryResult | undefined;
          let hosts: string[];
          try { hosts = await mxHosts(domain); } catch (e) { return { ok: false, retryable: true, detail: `MX lookup of ${domain}: ${(e as Error).message}`, changed: sent }; }
          for (const host of hosts) {
            const t = transport(host);
            try {
              await t.sendMail({ ...mail, to });
              sent.push(`mail to ${to.join(', ')} via ${host}`);
              last = undefined;
              break;
            } catch (e) {
              last = smtpFailure(e, `MX ${host}`, s.timeoutMs);
              if (last.retryable === false) break;
            } finally {
              t.close();
            }
          }
          if (last) return { ...last, changed: sent };
        }
        return { ok: true, detail: `delivered to the MX hosts of ${[...byDomain.keys()].join(', ')}`, changed: sent };
      },
      async close() { relay?.close(); },
    };
  },
});

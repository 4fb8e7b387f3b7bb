// Email through a real SMTP server in the test (smtp-server) that offers
// STARTTLS and requires AUTH; the received mail is parsed with mailparser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { build, deliver } from './peer.js';
import { emailAction, mxHosts } from '../../src/actions/outputs/email.js';

const tracee = JSON.parse(readFileSync(new URL('../../../shared/fixtures/tracee-trc1-finding.json', import.meta.url), 'utf8'));

interface Received { mail: ParsedMail; secure: boolean; user?: string; envelopeTo: string[]; clientHostname: string }

describe('email (SMTP with STARTTLS and AUTH)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooker-smtp-'));
  const received: Received[] = [];
  let server: SMTPServer;
  let port = 0;
  let rejectNext: { code: number; message: string } | undefined;

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    server = new SMTPServer({
      key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')),
      authMethods: ['PLAIN', 'LOGIN'],
      // AUTH only after STARTTLS, as real submission servers require.
      allowInsecureAuth: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'alerts@example.com' && auth.password === 'smtp-pass-0001') cb(null, { user: auth.username });
        else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData(stream, session, cb) {
        if (rejectNext) { const r = rejectNext; rejectNext = undefined; stream.resume(); stream.on('end', () => cb(Object.assign(new Error(r.message), { responseCode: r.code }))); return; }
        simpleParser(stream).then((mail) => {
          received.push({ mail, secure: session.secure, user: session.user as string | undefined, envelopeTo: session.envelope.rcptTo.map((r) => r.address), clientHostname: session.hostNameAppearsAs });
          cb();
        }, cb);
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (extra: Record<string, unknown> = {}) => ({
    host: '127.0.0.1', port, user: 'alerts@example.com', password: 'smtp-pass-0001', sender: 'Hooker <alerts@example.com>',
    recipients: ['soc@example.com', 'oncall@example.org'], 'client-host-name': 'hooker.example.com', 'require-tls': true, 'tls-verify': false, ...extra,
  });

  it('upgrades with STARTTLS, authenticates, and the mail arrives as sent (HTML template)', async () => {
    const html = `<h2>${tracee.SigMetadata.Name}</h2><p>Container <b>${tracee.Context.containerId}</b></p>`;
    const r = await deliver(build(emailAction, config()), { title: `Tracee ${tracee.SigMetadata.ID}`, body: html });
    expect(r).toMatchObject({ ok: true });
    const got = received.at(-1)!;
    expect(got.secure).toBe(true);
    expect(got.user).toBe('alerts@example.com');
    expect(got.clientHostname).toBe('hooker.example.com');
    expect(got.envelopeTo).toEqual(['soc@example.com', 'oncall@example.org']);
    expect(got.mail.subject).toBe(`Tracee ${tracee.SigMetadata.ID}`);
    expect(got.mail.from?.value[0]).toEqual({ address: 'alerts@example.com', name: 'Hooker' });
    expect(String(got.mail.html).trim()).toBe(html);
    expect(got.mail.headers.get('x-hooker-delivery-id')).toBe('d-1');
  });

  it('a text template arrives as text/plain', async () => {
    const body = JSON.stringify(tracee, null, 2);
    expect((await deliver(build(emailAction, config()), { title: 'raw', body })).ok).toBe(true);
    expect(received.at(-1)!.mail.text?.trimEnd()).toBe(body);
    expect(received.at(-1)!.mail.html).toBe(false);
  });

  it('a wrong password (535) is dead at once and the password is not in the record', async () => {
    const r = await deliver(build(emailAction, config({ password: 'wrong-pass-999' })), { title: 't', body: 'x' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(JSON.stringify(r)).not.toContain('wrong-pass-999');
  });

  it('a temporary rejection (451) is retried; a permanent one (550) is not', async () => {
    rejectNext = { code: 451, message: 'Try again later' };
    expect(await deliver(build(emailAction, config()), { title: 't', body: 'x' })).toMatchObject({ ok: false, retryable: true });
    rejectNext = { code: 550, message: 'Mailbox unavailable' };
    const r = await deliver(build(emailAction, config()), { title: 't', body: 'x' });
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.detail).toContain('Mailbox unavailable');
  });

  it('config: sender and recipients are checked; use-mx needs no host', () => {
    const p = emailAction.parse({ name: 'e', host: 'h', sender: 'not-an-address', recipients: ['a@b.c', 'nope'] }, {}).problems.map((x) => x.path);
    expect(p).toEqual(expect.arrayContaining(['sender', 'recipients[1]']));
    expect(emailAction.parse({ name: 'e', 'use-mx': true, sender: 'a@b.c', recipients: ['x@y.z'] }, {}).problems).toEqual([]);
  });

  it('use-mx: MX hosts best first, the domain itself when it has none', async () => {
    expect(await mxHosts('example.org', async () => [{ exchange: 'mx2.example.org', priority: 20 }, { exchange: 'mx1.example.org', priority: 10 }])).toEqual(['mx1.example.org', 'mx2.example.org']);
    expect(await mxHosts('example.net', async () => { throw Object.assign(new Error('none'), { code: 'ENODATA' }); })).toEqual(['example.net']);
  });
});
